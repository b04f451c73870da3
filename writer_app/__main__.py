from writer_app.start import main

raise SystemExit(main())
