#!/usr/bin/env python3
"""Sends N chat completions through a running dispatcher with the real `openai` client, C at a
time, and prints one JSON line: how many succeeded, how many failed, and the first errors.

While it runs it writes the number of finished requests to --progress-file, so the test that
started it can act midway (kill a scorer replica, say).
"""
import argparse
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import openai


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--progress-file", required=True)
    args = parser.parse_args()

    # No retries: a request that fails once counts as failed.
    client = openai.OpenAI(base_url=args.base_url, api_key=args.api_key, max_retries=0, timeout=60)
    lock = threading.Lock()
    done = {"ok": 0, "failed": 0, "models": {}, "errors": []}
    subjects = ["prime numbers", "the French revolution", "photosynthesis", "binary search", "the stock market", "haiku", "gravity", "SQL joins"]

    def one(number):
        prompt = f"Request {number}: tell me something about {subjects[number % len(subjects)]} (variant {number // len(subjects)})."
        try:
            reply = client.chat.completions.create(model="router-mf", messages=[{"role": "user", "content": prompt}])
            outcome, model = "ok", reply.model
        except Exception as error:  # noqa: BLE001 - every failure counts, whatever its type
            outcome, model = "failed", repr(error)[:300]
        with lock:
            done[outcome] += 1
            if outcome == "ok":
                done["models"][model] = done["models"].get(model, 0) + 1
            elif len(done["errors"]) < 5:
                done["errors"].append(model)
            finished = done["ok"] + done["failed"]
            if finished % 10 == 0:
                with open(args.progress_file, "w") as progress:
                    progress.write(str(finished))

    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        list(pool.map(one, range(args.requests)))
    print(json.dumps(done))


if __name__ == "__main__":
    main()
