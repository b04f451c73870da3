"""Read aloud with the Linux voice (eSpeak NG): speech of a plausible length in a WAV
file; sentence and word timings that match where the audio's speech and pauses are; a
player on a real sound server (PulseAudio, null sink) that reports the sentence being
heard, pauses, resumes and stops at once; and clear messages without a voice or a sound
output.

Tolerance of the timing checks: 50 ms (SLACK). eSpeak reports each word's sample; the
audio is cut into 10 ms frames and a frame is speech when its RMS is above 3% of the
loudest frame's."""

from __future__ import annotations

import array
import json
import math
import subprocess
import sys
import time
import wave

import pytest

from writer_app.speech import player as speech_player
from writer_app.speech import voice as speech_voice
from writer_app.speech.player import Player
from writer_app.speech.voice import NoVoice, sentence_spans, synthesize

from .sound import need_espeak, sound_server

TEXT = ("The harbour was busy this year. Container traffic grew by a fifth, and the "
        "fishing boats held steady. The cafes on the quay were full every night.")
SLACK = 0.05
FRAME = 0.01


@pytest.fixture(autouse=True)
def espeak():
    need_espeak()


@pytest.fixture(scope="module")
def pulse():
    with sound_server() as server:
        yield server


@pytest.fixture
def sound(pulse, monkeypatch):
    monkeypatch.setenv("PULSE_SERVER", pulse)
    return pulse


def speech_frames(samples, rate):
    """Per 10 ms frame: is it speech?"""
    n = int(rate * FRAME)
    rms = [math.sqrt(sum(x * x for x in samples[i:i + n]) / n)
           for i in range(0, len(samples) - n + 1, n)]
    loud = max(rms)
    return [r > 0.03 * loud for r in rms]


def test_sentences_are_cut_where_a_reader_would():
    text = "Dr. Smith came. He left!\nA heading\n\n  Done?  ...\n"
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "Dr. Smith came.", "He left!", "A heading", "Done?  ..."]


def test_a_text_becomes_speech_of_plausible_length_in_a_wav(tmp_path):
    speech = synthesize(TEXT, rate=175)
    out = tmp_path / "harbour.wav"
    speech.write_wav(out)
    with wave.open(str(out)) as w:
        assert (w.getnchannels(), w.getsampwidth()) == (1, 2)
        rate, frames = w.getframerate(), w.getnframes()
        samples = array.array("h", w.readframes(frames))
    seconds = frames / rate
    words = len(TEXT.split())
    # 175 words a minute is 2.9 a second; with the pauses, 1.8 to 4.5 a second.
    assert words / 4.5 < seconds < words / 1.8, seconds
    voiced = speech_frames(samples, rate)
    assert sum(voiced) / len(voiced) > 0.5  # mostly speech, not silence
    assert [(s.start, s.end) for s in speech.sentences] == sentence_spans(TEXT)
    # eSpeak speaks a few short words with the next one ("the quay") and reports one.
    assert words - 2 <= len(speech.words) <= words


def test_the_timings_match_the_audio():
    speech = synthesize(TEXT)
    rate = speech.sample_rate
    voiced = speech_frames(speech.samples, rate)

    def frame_of(sample):
        return int(sample / rate / FRAME)

    slack = int(SLACK / FRAME)
    # Each sentence after the first starts after a pause (the previous one's end), and its
    # speech starts within 50 ms of the time the highlight moves to it.
    for s in speech.sentences[1:]:
        at = frame_of(s.first_sample)
        assert not any(voiced[at - 10:at]), "no pause before a sentence"
        onset = next(i for i in range(at, len(voiced)) if voiced[i])
        assert (onset - at) * FRAME <= SLACK + 0.1, (onset - at) * FRAME
    # Every word starts in speech (a voiced frame within 50 ms), in order, and none
    # starts inside one of the pauses.
    starts = [w.sample for w in speech.words]
    assert starts == sorted(starts)
    for w in speech.words:
        at = frame_of(w.sample)
        assert any(voiced[max(0, at - slack):at + slack + 1]), TEXT[w.start:w.end]
    # Words are where their text is.
    assert [TEXT[w.start:w.end] for w in speech.words][:3] == ["The", "harbour", "was"]


def test_a_faster_rate_is_shorter():
    slow, fast = synthesize(TEXT, rate=120), synthesize(TEXT, rate=300)
    assert 1.8 < slow.seconds / fast.seconds < 3.2


def test_an_unknown_voice_is_named():
    with pytest.raises(NoVoice, match="no voice 'klingon-x'"):
        synthesize(TEXT, voice="klingon-x")
    names = {v.name for v in speech_voice.voices()}
    assert "English (Great Britain)" in names or any("English" in n for n in names)


def test_without_the_voice_library_the_message_names_the_package():
    code = ("import sys; sys.modules['pyttsx3.drivers._espeak'] = None\n"
            "from writer_app.speech.voice import NoVoice, sample_rate\n"
            "try:\n    sample_rate()\nexcept NoVoice as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert "Read aloud needs a voice: install espeak-ng" in out.stdout, out.stderr


def test_the_player_follows_the_sound_pauses_and_stops(sound, monkeypatch):
    # Samples heard are let go of every second here (every minute in the app): the pause
    # and resume below come after some were.
    monkeypatch.setattr(speech_player, "RELEASE_S", 1)
    player = Player(TEXT)
    player.start()
    heard_sentences = []
    deadline = time.monotonic() + 30
    paused = False
    while player.state in ("playing", "paused") and time.monotonic() < deadline:
        s = player.sentence()
        if s is not None and (not heard_sentences or heard_sentences[-1] != s):
            heard_sentences.append(s)
        if not paused and len(heard_sentences) == 2:
            paused = True
            player.pause()
            held = player.heard()
            time.sleep(0.6)
            assert player.heard() == held and player.sentence() == s  # nothing moves
            player.resume()
        time.sleep(0.02)
    assert player.state == "finished"
    assert heard_sentences == sentence_spans(TEXT)  # each sentence, in order, once
    speech = player.speech
    assert speech is not None and speech.released > 0  # heard, then let go of
    assert len(speech.samples) == speech.made() - speech.released < speech.made()

    player = Player(TEXT)
    player.start()
    time.sleep(1.0)
    before = player.heard()
    started = time.monotonic()
    player.stop()
    assert player.wait(2.0) and time.monotonic() - started < 1.0  # of about 8 s left
    assert player.state == "stopped" and player.heard() == before


def test_a_pause_as_the_end_plays_then_resume_finishes(sound):
    player = Player("One short sentence. And the end.")
    player.start()
    speech = player.speech
    # Everything made and written: the last sentence is in the card's queue.
    deadline = time.monotonic() + 20
    while not (player._synthesized.is_set() and player._written == speech.made()):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    player.pause()
    time.sleep(0.3)
    assert player.state == "paused" and any(t.is_alive() for t in player._threads)
    player.resume()
    assert player.wait(15) and player.state == "finished"
    player.stop()  # after the end: nothing to stop, nothing breaks


def test_no_sound_output_is_named(monkeypatch):
    monkeypatch.setenv("PULSE_SERVER", "unix:/nonexistent/writer-no-server")
    with pytest.raises(NoVoice, match="no sound output"):
        Player(TEXT, device="writer-no-such-device").start()


def test_the_cli_writes_a_wav_with_its_timings(tmp_path):
    page = tmp_path / "harbour.md"
    page.write_text(TEXT, encoding="utf-8")
    out = tmp_path / "harbour.wav"
    proc = subprocess.run([sys.executable, "-m", "writer_app", "speak", str(page), "--to",
                           str(out), "--json", "--rate", "200"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert out.stat().st_size > 44 and data["seconds"] > 3
    assert [s["start"] for s in data["sentences"]] == [a for a, _ in sentence_spans(TEXT)]
    bad = subprocess.run([sys.executable, "-m", "writer_app", "speak", str(page), "--rate",
                          "9000"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "--rate 9000: give 80 to 450" in bad.stderr


def test_the_cli_reads_aloud_to_the_sound_server(sound, tmp_path):
    page = tmp_path / "short.txt"
    page.write_text("One short line. Then another.", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "writer_app", "speak", str(page)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == ["One short line.", "Then another."]
