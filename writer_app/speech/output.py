"""The sound card, through ALSA's C library (libasound.so.2, on every Linux desktop; its
"default" device goes to PulseAudio or PipeWire where they run).

Writer writes the samples itself, so it knows what has been heard: the samples written
less the ones still queued (`snd_pcm_delay`). Stop drops the queue (`snd_pcm_drop`):
the sound ends at once, not when a buffer runs out. The stream is non-blocking: a write
into a full queue returns at once and the writer waits on the device at most 50 ms, so
no thread is ever stuck inside ALSA when another one drops the queue.
"""

from __future__ import annotations

import array
import ctypes
import ctypes.util
from typing import Any

from writer_app.speech.voice import NoVoice

SND_PCM_STREAM_PLAYBACK = 0
SND_PCM_NONBLOCK = 1
EAGAIN = 11
SND_PCM_FORMAT_S16_LE = 2
SND_PCM_ACCESS_RW_INTERLEAVED = 3
LATENCY_US = 200_000  # what may sit in the device's queue (less starves PulseAudio's)
_alsa: Any = None
# ALSA prints its own lines to stderr when a device is missing; Writer says it once, in
# its own words. (The handler is variadic in C; the fixed arguments are all it reads.)
_ERROR_HANDLER = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                                  ctypes.c_int, ctypes.c_char_p)
_quiet = _ERROR_HANDLER(lambda *_args: None)


def _library() -> Any:
    global _alsa
    if _alsa is None:
        name = ctypes.util.find_library("asound") or "libasound.so.2"
        try:
            alsa = ctypes.CDLL(name)
        except OSError:
            raise NoVoice("Read aloud needs ALSA's library for sound: install libasound2 "
                          "(Debian, Ubuntu: sudo apt install libasound2)") from None
        alsa.snd_strerror.restype = ctypes.c_char_p
        alsa.snd_strerror.argtypes = [ctypes.c_int]
        alsa.snd_pcm_writei.restype = ctypes.c_long
        alsa.snd_pcm_writei.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_ulong]
        alsa.snd_pcm_delay.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_long)]
        alsa.snd_pcm_recover.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
        for name in ("snd_pcm_drop", "snd_pcm_close", "snd_pcm_prepare", "snd_pcm_start"):
            getattr(alsa, name).argtypes = [ctypes.c_void_p]
        alsa.snd_pcm_wait.argtypes = [ctypes.c_void_p, ctypes.c_int]
        alsa.snd_lib_error_set_handler(_quiet)
        _alsa = alsa
    return _alsa


class SoundOutput:
    """One open playback stream of 16-bit mono samples."""

    def __init__(self, sample_rate: int, device: str = "default") -> None:
        alsa = _library()
        self._alsa = alsa
        self.sample_rate = sample_rate
        self._pcm = ctypes.c_void_p()
        code = alsa.snd_pcm_open(ctypes.byref(self._pcm), device.encode(),
                                 SND_PCM_STREAM_PLAYBACK, SND_PCM_NONBLOCK)
        if code < 0:
            raise NoVoice(f"Read aloud: no sound output (ALSA cannot open {device!r}: "
                          f"{self._reason(code)}); is a sound card, or a sound server "
                          "(PipeWire, PulseAudio), there?")
        code = alsa.snd_pcm_set_params(self._pcm, SND_PCM_FORMAT_S16_LE,
                                       SND_PCM_ACCESS_RW_INTERLEAVED, 1, sample_rate, 1,
                                       LATENCY_US)
        if code < 0:
            alsa.snd_pcm_close(self._pcm)
            raise NoVoice(f"Read aloud: the sound output refuses {sample_rate} Hz mono "
                          f"({self._reason(code)})")

    def _reason(self, code: int) -> str:
        return (self._alsa.snd_strerror(code) or b"error").decode("utf-8", "replace")

    def write(self, samples: array.array[int]) -> int:
        """Queue samples (an array nobody else resizes meanwhile). Returns how many went:
        none when the queue is full (after waiting up to 50 ms for room)."""
        if not self._pcm:
            return 0
        code = self._alsa.snd_pcm_writei(self._pcm, samples.buffer_info()[0], len(samples))
        if code == -EAGAIN:
            self._alsa.snd_pcm_wait(self._pcm, 50)
            return 0
        if code < 0:  # an underrun (the queue ran dry) is recovered; the rest is an error
            if self._alsa.snd_pcm_recover(self._pcm, int(code), 1) < 0:
                raise NoVoice(f"Read aloud: the sound output failed ({self._reason(code)})")
            return 0
        return int(code)

    def queued(self) -> int:
        """Samples written but not yet heard."""
        delay = ctypes.c_long(0)
        if not self._pcm or self._alsa.snd_pcm_delay(self._pcm, ctypes.byref(delay)) < 0:
            return 0
        return max(0, delay.value)

    def stop(self) -> None:
        """Silence now: what is queued is dropped."""
        if self._pcm:
            self._alsa.snd_pcm_drop(self._pcm)

    def prepare(self) -> None:
        """Ready to play again after stop() (a pause)."""
        if self._pcm:
            self._alsa.snd_pcm_prepare(self._pcm)

    def start(self) -> None:
        """Play what is queued even if it does not fill the queue (the end of a text)."""
        if self._pcm:
            self._alsa.snd_pcm_start(self._pcm)  # an error here: it has started already

    def close(self) -> None:
        if self._pcm:
            self._alsa.snd_pcm_close(self._pcm)
            self._pcm = ctypes.c_void_p()

