"""Entry point of the bundled app: the same command line as `writer-app`."""

from writer_app.start import main

raise SystemExit(main())
