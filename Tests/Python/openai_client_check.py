#!/usr/bin/env python3
"""Drives a running turnout-dispatcher with the real `openai` Python client, as users do.

Run by Turnout's Swift tests (DispatcherProcessTests) against a stack of real services whose
upstreams are the test stand-in (Tests/Upstream/test_upstream.py), which this script steers
through its /control endpoint. Prints one JSON line with the checks that passed; exits 1 on
the first failed check, naming it.
"""
import argparse
import json
import sys
import urllib.request

import openai


def control(base, **body):
    request = urllib.request.Request(base + "/control", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=5).read()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--strong", required=True)
    parser.add_argument("--weak", required=True)
    parser.add_argument("--strong-control", required=True)
    parser.add_argument("--weak-control", required=True)
    args = parser.parse_args()

    client = openai.OpenAI(base_url=args.base_url, api_key=args.api_key, max_retries=0, timeout=30)
    passed = []

    def check(name, condition, detail=""):
        if not condition:
            print(json.dumps({"failed": name, "detail": str(detail), "passed": passed}))
            sys.exit(1)
        passed.append(name)

    messages = [{"role": "user", "content": "Prove that the square root of two is irrational."}]

    # Plain completions, both routes, and the headers that tell which.
    raw = client.chat.completions.with_raw_response.create(model="router-mf-0", messages=messages)
    completion = raw.parse()
    check("plain strong model", completion.model == args.strong, completion.model)
    check("plain strong header", raw.headers.get("x-turnout-route") == "strong", dict(raw.headers))
    check("plain strong content", completion.choices[0].message.content.startswith(args.strong + " says:"), completion.choices[0].message.content)
    check("plain usage", completion.usage is not None and completion.usage.completion_tokens > 0, completion.usage)
    weak = client.chat.completions.create(model="router-mf-1", messages=messages)
    check("plain weak model", weak.model == args.weak, weak.model)
    default = client.chat.completions.create(model="router-mf", messages=messages)
    check("default threshold answers", default.model in (args.strong, args.weak), default.model)

    # Streams: every chunk names the answering model; usage arrives when asked for.
    stream = client.chat.completions.create(model="router-mf-0", messages=messages, stream=True)
    chunks = list(stream)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    check("stream chunks name the model", chunks and all(chunk.model == args.strong for chunk in chunks), [c.model for c in chunks])
    check("stream text", text == f"{args.strong} says: {messages[0]['content']}", text)
    with_usage = list(client.chat.completions.create(model="router-mf-1", messages=messages, stream=True, stream_options={"include_usage": True}))
    check("stream usage chunk", with_usage[-1].usage is not None and with_usage[-1].usage.total_tokens > 0, with_usage[-1])

    # Models.
    ids = {model.id for model in client.models.list()}
    check("models list", {"router-mf", args.strong, args.weak} <= ids, ids)

    # Errors the SDK must recognise.
    try:
        openai.OpenAI(base_url=args.base_url, api_key="sk-wrong", max_retries=0).chat.completions.create(model="router-mf", messages=messages)
        check("401", False, "no error")
    except openai.AuthenticationError as error:
        check("401", error.status_code == 401 and "API key" in error.message, error)
    try:
        client.chat.completions.create(model="router-nosuchrouter-0.5", messages=messages)
        check("404 unknown router", False, "no error")
    except openai.NotFoundError as error:
        check("404 unknown router", error.status_code == 404 and error.code == "model_not_found" and "nosuchrouter" in error.message, error)
    try:
        client.chat.completions.create(model="gpt-17", messages=messages)
        check("404 unknown model", False, "no error")
    except openai.NotFoundError as error:
        check("404 unknown model", error.code == "model_not_found", error)
    try:
        client.chat.completions.create(model="router-mf--0.1", messages=messages)
        check("400 negative threshold", False, "no error")
    except openai.BadRequestError as error:
        check("400 negative threshold", "-0.1" in error.message and "unknown router" not in error.message, error)
    for body, code in (({}, "missing_required_parameter"), ({"messages": []}, "empty_array")):
        try:
            client.chat.completions.create(model="router-mf", **body) if body else client.post("/chat/completions", body={"model": "router-mf"}, cast_to=object)
            check(f"400 {code}", False, "no error")
        except openai.BadRequestError as error:
            check(f"400 {code}", error.code == code and error.param == "messages", error)

    # Retrieving a model, as the SDK's models.retrieve does.
    for name in ("router-mf", "router-mf-0.25", "router-mf@30%", args.strong):
        retrieved = client.models.retrieve(name)
        check(f"retrieve {name}", retrieved.id == name and retrieved.object == "model", retrieved)
    try:
        client.models.retrieve("router-nosuchrouter")
        check("retrieve unknown", False, "no error")
    except openai.NotFoundError as error:
        check("retrieve unknown", error.code == "model_not_found", error)

    # The share form routes: at 0% nothing goes strong, at 100% everything does.
    none = client.chat.completions.with_raw_response.create(model="router-mf@0%", messages=messages)
    check("share 0% is weak", none.parse().model == args.weak, none.headers)
    every = client.chat.completions.with_raw_response.create(model="router-mf@100%", messages=messages)
    check("share 100% is strong", every.parse().model == args.strong, every.headers)

    # Conversations with no user text are routed on the last text of any role.
    system_only = client.chat.completions.with_raw_response.create(model="router-mf", messages=[{"role": "system", "content": "Write a haiku about routers."}])
    check("system-only is routed", system_only.headers.get("x-turnout-win-rate") is not None and system_only.headers.get("x-turnout-default-route") is None, system_only.headers)

    # An upstream that is down: a pass-through call gets a 5xx; a routed one falls back.
    control(args.strong_control, mode="fail500", count=1)
    try:
        client.chat.completions.create(model=args.strong, messages=messages)
        check("upstream down", False, "no error")
    except openai.InternalServerError as error:
        check("upstream down", error.status_code == 502 and args.strong in error.message, error)
    control(args.strong_control, mode="fail500", count=1)
    fallback = client.chat.completions.with_raw_response.create(model="router-mf-0", messages=messages)
    check("routed call falls back", fallback.parse().model == args.weak and fallback.headers.get("x-turnout-fallback") == "true", fallback.headers)

    # A stream that breaks midway raises in the SDK instead of ending quietly.
    control(args.weak_control, mode="close_mid_stream", count=1)
    try:
        list(client.chat.completions.create(model=args.weak, messages=messages, stream=True))
        check("broken stream raises", False, "the stream ended without an error")
    except openai.APIError as error:
        check("broken stream raises", args.weak in str(error), error)

    print(json.dumps({"ok": True, "passed": passed}))


if __name__ == "__main__":
    main()
