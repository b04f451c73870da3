"""Read a text aloud in the background and say which sentence is being heard.

Two threads: one synthesizes sentence by sentence (speech/voice.py), at most AHEAD_S
ahead of the listener; the other writes the samples to the sound card (speech/output.py)
in 50 ms chunks as soon as the first sentence is ready. What is heard is what was
written less what the card still holds, so the sentence reported is the one in the
listener's ears, not the one being synthesized. Pause drops the card's queue and resumes
from the first sample not heard; Stop drops it and ends both threads. No Qt: the window
polls `heard()`.
"""

from __future__ import annotations

import threading
import time
from typing import Literal

from writer_app.speech.output import SoundOutput
from writer_app.speech.voice import DEFAULT_RATE, NoVoice, Speech, sample_rate, synthesize

State = Literal["starting", "playing", "paused", "stopped", "finished", "failed"]
ENDED = ("stopped", "finished", "failed")
CHUNK_SECONDS = 0.05
AHEAD_S = 30  # synthesis runs at most this far ahead of what is heard (memory, a stop)
RELEASE_S = 60  # the samples heard are let go of this many seconds at a time


class Player:
    def __init__(self, text: str, voice: str = "", rate: int = DEFAULT_RATE,
                 device: str = "default") -> None:
        self.text, self.voice, self.rate, self.device = text, voice, rate, device
        self.state: State = "starting"
        self.error = ""
        self.speech: Speech | None = None
        self._output: SoundOutput | None = None
        self._lock = threading.Lock()
        self._written = 0  # samples handed to the card
        self._heard = 0  # the furthest sample heard (the card's count can step back)
        self._resume_at: int | None = None  # set by pause: where to go on from
        self._interruptions = 0  # pauses and stops: a write they cut short is no error
        self._go_on = threading.Event()
        self._go_on.set()
        self._synthesized = threading.Event()
        self._threads: list[threading.Thread] = []

    # --- control (any thread) ------------------------------------------------------------
    def start(self) -> None:
        """Raises NoVoice at once when there is no voice or no sound output."""
        self.speech = Speech(sample_rate())  # the voice is checked before anything starts
        self._output = SoundOutput(self.speech.sample_rate, self.device)
        self._threads = [threading.Thread(target=self._synthesize, daemon=True,
                                          name="read-aloud-voice"),
                         threading.Thread(target=self._play, daemon=True,
                                          name="read-aloud-sound")]
        self.state = "playing"
        for t in self._threads:
            t.start()

    def pause(self) -> None:
        with self._lock:
            if self.state != "playing" or self._output is None:
                return
            self._resume_at = self._heard_locked()
            self.state = "paused"
            self._interruptions += 1
            self._go_on.clear()
            self._output.stop()

    def resume(self) -> None:
        with self._lock:
            if self.state != "paused":
                return
            self.state = "playing"
            self._go_on.set()

    def stop(self) -> None:
        with self._lock:
            if self.state in ENDED:
                return
            self.state = "stopped"
            self._interruptions += 1
            self._go_on.set()
            if self._output is not None:
                self._output.stop()

    def wait(self, timeout: float | None = None) -> bool:
        """True when both threads have ended."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for t in self._threads:
            t.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self._threads)

    # --- what is heard ---------------------------------------------------------------------
    def heard(self) -> int:
        """The sample being heard now."""
        with self._lock:
            return self._heard_locked()

    def _heard_locked(self) -> int:
        if self._resume_at is not None:
            return self._resume_at
        if self._output is not None and self.state == "playing":
            self._heard = max(self._heard, self._written - self._output.queued())
        elif self.state == "finished":
            self._heard = self._written
        return self._heard

    def sentence(self) -> tuple[int, int] | None:
        """(start, end) in the text of the sentence being heard."""
        speech = self.speech
        if speech is None or not speech.sentences:
            return None
        i = speech.sentence_at(self.heard())
        return None if i is None else (speech.sentences[i].start, speech.sentences[i].end)

    # --- the threads ---------------------------------------------------------------------
    def _synthesize(self) -> None:
        try:
            synthesize(self.text, self.voice, self.rate, go_on=self._room_ahead,
                       into=self.speech)
        except Exception as exc:  # shown to the user; the sound thread ends too
            self._fail(str(exc) or type(exc).__name__)
        finally:
            self._synthesized.set()

    def _room_ahead(self) -> bool:
        """Before each sentence: wait while the speech made is AHEAD_S beyond what is
        heard; False once reading has ended."""
        speech = self.speech
        assert speech is not None
        while self.state not in ENDED:
            if speech.made() - self.heard() < AHEAD_S * speech.sample_rate:
                return True
            time.sleep(0.1)
        return False

    def _play(self) -> None:
        speech, output = self.speech, self._output
        assert speech is not None and output is not None
        chunk = max(1, int(speech.sample_rate * CHUNK_SECONDS))
        position = 0
        try:
            while True:
                self._go_on.wait()
                with self._lock:
                    if self.state in ("stopped", "failed"):
                        return
                    if self._resume_at is not None:  # back from a pause
                        position = self._written = self._heard = self._resume_at
                        self._resume_at = None
                        output.prepare()
                    interruptions = self._interruptions
                made = self._synthesized.is_set()  # before the length: none is missed
                available = speech.made()
                heard = self.heard()  # where a pause would resume: nothing before is wanted
                if heard - speech.released > RELEASE_S * speech.sample_rate:
                    speech.release_before(heard)
                if position < available:
                    piece = speech.piece(position, min(available, position + chunk))
                    try:
                        wrote = output.write(piece)
                    except NoVoice:
                        if self._interruptions == interruptions:
                            raise
                        wrote = 0  # the queue was dropped under it by a pause or a stop
                    with self._lock:
                        if self.state == "playing" and self._resume_at is None:
                            position += wrote
                            self._written = position
                    continue
                if not made:
                    time.sleep(0.01)
                    continue
                if self._heard_to_the_end(output, speech.sample_rate):
                    return
                # Paused (or stopped) while the end played: the loop waits, then goes on.
        except Exception as exc:
            self._fail(str(exc) or type(exc).__name__)
        finally:
            with self._lock:
                self._output = None
                output.close()

    def _heard_to_the_end(self, output: SoundOutput, rate: int) -> bool:
        """Everything is written: wait until the card has played it. The card's count of
        what it holds can stay above zero once it runs dry (PulseAudio's ALSA plugin
        does), so the wait is also bounded by the time that needs."""
        output.start()  # a tail shorter than the card's queue would not start on its own
        left = output.queued()
        until = time.monotonic() + left / rate + 0.25
        while self.state == "playing" and left > 0 and time.monotonic() < until:
            time.sleep(0.02)
            left = output.queued()
        with self._lock:
            if self.state == "playing":
                self.state = "finished"
                return True
            return self.state in ("stopped", "failed")

    def _fail(self, message: str) -> None:
        with self._lock:
            if self.state not in ("stopped", "finished"):
                self.state, self.error = "failed", message
                self._go_on.set()
