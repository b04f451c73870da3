"""Requests from several threads are served one at a time, each one complete."""

import itertools
import threading
import time

from writer_app.engine.types import ChatMessage, GenerationRequest, SamplingOptions

TOPICS = ["rain", "bread", "trains", "owls", "paper", "salt",
          "bells", "moss", "glass", "kites", "wool", "ink"]
OPTIONS = SamplingOptions(temperature=0.0, max_tokens=24)


def request(topic):
    return GenerationRequest(messages=[ChatMessage("user", f"One sentence about {topic}.")],
                             options=OPTIONS)


def test_four_threads_three_requests_each(engine):
    results = {}
    spans = []
    errors = []
    lock = threading.Lock()

    def worker(topics):
        for topic in topics:
            pieces = []
            stamps = []

            def on_piece(piece, pieces=pieces, stamps=stamps):
                pieces.append(piece)
                stamps.append(time.perf_counter())

            try:
                result = engine.generate(request(topic), on_piece)
            except Exception as exc:  # recorded, then asserted below
                errors.append(exc)
                continue
            with lock:
                results[topic] = (result, "".join(pieces))
                spans.append((stamps[0], stamps[-1]))

    threads = [threading.Thread(target=worker, args=(TOPICS[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert errors == []
    assert sorted(results) == sorted(TOPICS)
    for topic, (result, streamed) in results.items():
        assert result.finish_reason in ("stop", "length"), topic
        assert result.text.strip() and streamed == result.text
        assert result.finish_reason == "stop" or result.completion_tokens == OPTIONS.max_tokens
    # Never entered twice: the streaming spans of different requests do not overlap.
    spans.sort()
    for (_, end), (next_start, _) in itertools.pairwise(spans):
        assert end <= next_start
