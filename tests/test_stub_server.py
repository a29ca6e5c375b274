"""Functional tests for the OpenAI-compatible stub server, driven by the real SDKs."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import instructor
import openai
import pytest
from instructor.core import InstructorRetryException
from pydantic import BaseModel
from stub_server import (
    CREATED,
    DEFAULT_MODEL_NAME,
    Fault,
    StubServer,
    document_text_from_request,
    running_stub,
)

PAYLOAD: dict[str, Any] = {
    "events": [{"kind": "inspection", "quote": "The service was inspected on 3 May 2023."}]
}
TOOLS: list[Any] = [
    {
        "type": "function",
        "function": {
            "name": "Extraction",
            "parameters": {"type": "object", "properties": {"events": {"type": "array"}}},
        },
    }
]
TOOL_CHOICE: Any = {"type": "function", "function": {"name": "Extraction"}}
USER: list[Any] = [{"role": "user", "content": "Some report text."}]


def _fixed(_request: dict[str, Any]) -> dict[str, Any]:
    return PAYLOAD


@pytest.fixture
def stub() -> Iterator[StubServer]:
    with running_stub(responder=_fixed) as server:
        yield server


@pytest.fixture
def client(stub: StubServer) -> Iterator[openai.OpenAI]:
    c = openai.OpenAI(api_key="test-key", base_url=stub.base_url, max_retries=0)
    try:
        yield c
    finally:
        c.close()


def _tools_call(client: openai.OpenAI, **kwargs: Any) -> Any:
    return client.chat.completions.create(
        model="gpt-4o-mini", messages=USER, tools=TOOLS, tool_choice=TOOL_CHOICE, **kwargs
    )


def _plain_call(client: openai.OpenAI, **kwargs: Any) -> Any:
    return client.chat.completions.create(model="gpt-4o-mini", messages=USER, **kwargs)


# -- normal answers ------------------------------------------------------------------------


def test_tools_mode_round_trips_payload(stub: StubServer, client: openai.OpenAI) -> None:
    completion = _tools_call(client)

    assert completion.id == "chatcmpl-stub-1"
    assert completion.object == "chat.completion"
    assert completion.created == CREATED
    assert completion.model == DEFAULT_MODEL_NAME  # never echoes the requested model
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    assert choice.message.tool_calls is not None
    (call,) = choice.message.tool_calls
    assert call.id == "call_1"
    assert call.type == "function"
    assert call.function.name == "Extraction"
    assert json.loads(call.function.arguments) == PAYLOAD
    assert _tools_call(client).id == "chatcmpl-stub-2"


@pytest.mark.parametrize(
    "response_format",
    [
        {"type": "json_object"},
        {"type": "json_schema", "json_schema": {"name": "Extraction", "schema": {}}},
        None,
    ],
    ids=["json_object", "json_schema", "none"],
)
def test_json_modes_put_payload_in_content(
    client: openai.OpenAI, response_format: dict[str, Any] | None
) -> None:
    kwargs: dict[str, Any] = {} if response_format is None else {"response_format": response_format}
    completion = _plain_call(client, **kwargs)

    choice = completion.choices[0]
    assert choice.finish_reason == "stop"
    assert choice.message.tool_calls is None
    assert choice.message.content is not None
    assert json.loads(choice.message.content) == PAYLOAD


def test_string_payload_is_used_verbatim() -> None:
    raw = '```json\n{"a": 1}\n```'
    with (
        running_stub(responder=lambda _req: raw) as server,
        openai.OpenAI(api_key="k", base_url=server.base_url, max_retries=0) as c,
    ):
        assert _plain_call(c).choices[0].message.content == raw
        call = _tools_call(c).choices[0].message.tool_calls[0]
        assert call.function.arguments == raw


def test_no_responder_answers_empty_object() -> None:
    with (
        running_stub() as server,
        openai.OpenAI(api_key="k", base_url=server.base_url, max_retries=0) as c,
    ):
        assert _plain_call(c).choices[0].message.content == "{}"


def test_responder_sees_request_json() -> None:
    seen: list[dict[str, Any]] = []

    def responder(request: dict[str, Any]) -> dict[str, Any]:
        seen.append(request)
        return {"echo": document_text_from_request(request)}

    with (
        running_stub(responder=responder) as server,
        openai.OpenAI(api_key="k", base_url=server.base_url, max_retries=0) as c,
    ):
        content = _plain_call(c, temperature=0).choices[0].message.content
    assert json.loads(content) == {"echo": "Some report text."}
    assert seen[0]["model"] == "gpt-4o-mini"
    assert seen[0]["temperature"] == 0


def test_usage_counts_characters(stub: StubServer, client: openai.OpenAI) -> None:
    messages: list[Any] = [
        {"role": "system", "content": "s" * 10},
        {"role": "user", "content": [{"type": "text", "text": "u" * 21}]},
        {"role": "assistant", "content": None},
    ]
    completion = client.chat.completions.create(model="m", messages=messages)
    answer = json.dumps(PAYLOAD, ensure_ascii=False)
    assert completion.choices[0].message.content == answer
    assert completion.usage is not None
    assert completion.usage.prompt_tokens == (10 + 21) // 4
    assert completion.usage.completion_tokens == len(answer) // 4
    assert completion.usage.total_tokens == (10 + 21) // 4 + len(answer) // 4


def test_usage_is_at_least_one() -> None:
    with (
        running_stub(responder=lambda _req: "") as server,
        openai.OpenAI(api_key="k", base_url=server.base_url, max_retries=0) as c,
    ):
        completion = c.chat.completions.create(
            model="m", messages=[{"role": "user", "content": ""}]
        )
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (1, 1)
    assert completion.usage.total_tokens == 2


def test_models_endpoint_lists_stub_model() -> None:
    with (
        running_stub(model_name="stub-x (not a real model)") as server,
        openai.OpenAI(api_key="k", base_url=server.base_url, max_retries=0) as c,
    ):
        models = list(c.models.list())
    assert [m.id for m in models] == ["stub-x (not a real model)"]
    assert models[0].object == "model"


def test_default_models_listing(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == [DEFAULT_MODEL_NAME]


def test_unknown_endpoint_is_404_json(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        client.embeddings.create(model="m", input="x")
    assert info.value.status_code == 404
    assert info.value.response.headers["content-type"] == "application/json"
    assert isinstance(info.value.body, dict)
    assert "Unknown endpoint" in info.value.body["message"]


# -- request log ---------------------------------------------------------------------------


def test_request_log_records_bodies_and_headers(stub: StubServer, client: openai.OpenAI) -> None:
    before = time.monotonic()
    _tools_call(client, temperature=0.0)
    client.models.list()

    post, get = stub.requests
    assert post["method"] == "POST"
    assert post["path"] == "/v1/chat/completions"
    assert post["headers"]["authorization"] == "Bearer test-key"
    assert post["headers"]["content-type"] == "application/json"
    assert all(k == k.lower() for k in post["headers"])
    assert post["json"]["messages"] == USER
    assert post["json"]["tools"] == TOOLS
    assert post["json"]["tool_choice"] == TOOL_CHOICE
    assert post["time"] >= before
    assert get["method"] == "GET"
    assert get["path"] == "/v1/models"
    assert get["json"] is None
    assert get["time"] >= post["time"]
    assert stub.chat_requests() == [post]


# -- faults --------------------------------------------------------------------------------


def test_rate_limit_fault_exposes_retry_after(stub: StubServer, client: openai.OpenAI) -> None:
    stub.enqueue(Fault.status(429, retry_after=2))
    with pytest.raises(openai.RateLimitError) as info:
        _tools_call(client)
    err = info.value
    assert err.status_code == 429
    assert err.response.headers["retry-after"] == "2"
    assert err.code == "rate_limit_exceeded"
    assert isinstance(err.body, dict)  # the SDK unwraps {"error": {...}}
    assert err.body["type"] == "rate_limit_error"
    # the fault was consumed: the next request is answered normally
    assert json.loads(_tools_call(client).choices[0].message.tool_calls[0].function.arguments)


def test_fractional_retry_after(stub: StubServer, client: openai.OpenAI) -> None:
    stub.enqueue(Fault.status(429, retry_after=0.25))
    with pytest.raises(openai.RateLimitError) as info:
        _plain_call(client)
    assert info.value.response.headers["retry-after"] == "0.25"


@pytest.mark.parametrize("code", [500, 502, 503])
def test_server_error_faults(stub: StubServer, client: openai.OpenAI, code: int) -> None:
    stub.enqueue(Fault.status(code))
    with pytest.raises(openai.InternalServerError) as info:
        _plain_call(client)
    assert info.value.status_code == code
    assert "retry-after" not in info.value.response.headers
    assert isinstance(info.value.body, dict)
    assert info.value.body["type"] == "server_error"


def test_custom_error_body(stub: StubServer, client: openai.OpenAI) -> None:
    body = {"error": {"message": "context too long", "type": "invalid_request_error", "code": "x"}}
    stub.enqueue(Fault.status(400, body=body))
    with pytest.raises(openai.BadRequestError) as info:
        _plain_call(client)
    assert info.value.body == body["error"]
    assert info.value.code == "x"


def test_sdk_retry_honours_retry_after(stub: StubServer) -> None:
    stub.enqueue(Fault.status(429, retry_after=0.3))
    with openai.OpenAI(api_key="k", base_url=stub.base_url, max_retries=1) as c:
        completion = _plain_call(c)
    assert json.loads(completion.choices[0].message.content) == PAYLOAD
    first, second = stub.chat_requests()
    assert second["time"] - first["time"] >= 0.3
    assert second["headers"]["x-stainless-retry-count"] == "1"
    assert stub.pending_faults == 0


def test_faults_are_consumed_in_order(stub: StubServer, client: openai.OpenAI) -> None:
    stub.enqueue(Fault.status(503), Fault.answer({"n": 2}))
    assert stub.pending_faults == 2
    with pytest.raises(openai.InternalServerError):
        _plain_call(client)
    assert json.loads(_plain_call(client).choices[0].message.content) == {"n": 2}
    assert json.loads(_plain_call(client).choices[0].message.content) == PAYLOAD
    assert stub.pending_faults == 0


def test_invalid_json_fault_tools_mode(stub: StubServer, client: openai.OpenAI) -> None:
    stub.enqueue(Fault.invalid_json())
    completion = _tools_call(client)
    assert completion.choices[0].finish_reason == "tool_calls"
    arguments = completion.choices[0].message.tool_calls[0].function.arguments
    with pytest.raises(json.JSONDecodeError):
        json.loads(arguments)


def test_invalid_json_fault_content_mode(stub: StubServer, client: openai.OpenAI) -> None:
    stub.enqueue(Fault.invalid_json('{"events": [{"quote": "unterminated'))
    content = (
        _plain_call(client, response_format={"type": "json_object"}).choices[0].message.content
    )
    assert content == '{"events": [{"quote": "unterminated'
    with pytest.raises(json.JSONDecodeError):
        json.loads(content)


def test_answer_fault_overrides_responder(client: openai.OpenAI, stub: StubServer) -> None:
    calls: list[int] = []

    def responder(_request: dict[str, Any]) -> dict[str, Any]:
        calls.append(1)
        return PAYLOAD

    stub.responder = responder
    fabricated = {"events": [{"kind": "inspection", "quote": "Not in the document at all."}]}
    stub.enqueue(Fault.answer(fabricated))
    arguments = _tools_call(client).choices[0].message.tool_calls[0].function.arguments
    assert json.loads(arguments) == fabricated
    assert calls == []
    assert json.loads(_tools_call(client).choices[0].message.tool_calls[0].function.arguments) == (
        PAYLOAD
    )
    assert calls == [1]


def test_delay_fault_is_honoured(stub: StubServer, client: openai.OpenAI) -> None:
    stub.enqueue(Fault.delay(0.2))
    start = time.monotonic()
    completion = _plain_call(client)
    assert time.monotonic() - start >= 0.2
    assert json.loads(completion.choices[0].message.content) == PAYLOAD


def test_latency_is_settable(stub: StubServer, client: openai.OpenAI) -> None:
    stub.latency = 0.2
    start = time.monotonic()
    _plain_call(client)
    assert time.monotonic() - start >= 0.2


def test_latency_from_constructor_applies_to_faults_too() -> None:
    with running_stub(latency=0.2) as server:
        server.enqueue(Fault.status(500))
        with openai.OpenAI(api_key="k", base_url=server.base_url, max_retries=0) as c:
            start = time.monotonic()
            with pytest.raises(openai.InternalServerError):
                _plain_call(c)
            assert time.monotonic() - start >= 0.2


def test_delay_beyond_client_timeout_raises_timeout(stub: StubServer) -> None:
    stub.enqueue(Fault.delay(5))
    with (
        openai.OpenAI(api_key="k", base_url=stub.base_url, max_retries=0, timeout=0.2) as c,
        pytest.raises(openai.APITimeoutError),
    ):
        _plain_call(c)
    # stop() (fixture teardown) wakes the sleeping handler instead of waiting 5 s


def test_disconnect_fault_raises_connection_error(stub: StubServer, client: openai.OpenAI) -> None:
    stub.enqueue(Fault.disconnect())
    with pytest.raises(openai.APIConnectionError) as info:
        _plain_call(client)
    assert not isinstance(info.value, openai.APITimeoutError)
    # the server is still healthy afterwards
    assert json.loads(_plain_call(client).choices[0].message.content) == PAYLOAD


def test_sdk_retries_after_disconnect(stub: StubServer) -> None:
    stub.enqueue(Fault.disconnect())
    with openai.OpenAI(api_key="k", base_url=stub.base_url, max_retries=1) as c:
        assert json.loads(_plain_call(c).choices[0].message.content) == PAYLOAD
    assert len(stub.chat_requests()) == 2


def test_responder_exception_becomes_500() -> None:
    def broken(_request: dict[str, Any]) -> dict[str, Any]:
        raise KeyError("boom")

    with (
        running_stub(responder=broken) as server,
        openai.OpenAI(api_key="k", base_url=server.base_url, max_retries=0) as c,
        pytest.raises(openai.InternalServerError) as info,
    ):
        _plain_call(c)
    assert "KeyError" in str(info.value)
    assert len(server.errors) == 1
    assert isinstance(server.errors[0], KeyError)


def test_fault_factories_validate() -> None:
    with pytest.raises(ValueError):
        Fault.status(200)
    with pytest.raises(ValueError):
        Fault.delay(-1)
    assert Fault.invalid_json().payload == '{"events": ['
    assert Fault.status(429, retry_after=1) == Fault.status(429, retry_after=1)
    with StubServer() as server, pytest.raises(TypeError):
        server.enqueue("not a fault")  # type: ignore[arg-type]


# -- transport -----------------------------------------------------------------------------


def test_concurrent_requests_are_served_in_parallel() -> None:
    with (
        running_stub(responder=_fixed, latency=0.3) as server,
        openai.OpenAI(api_key="k", base_url=server.base_url, max_retries=0) as c,
    ):
        results: list[Any] = []
        errors: list[BaseException] = []

        def worker() -> None:
            try:
                results.append(_plain_call(c))
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - start
    assert errors == []
    assert len(results) == 8
    assert len({r.id for r in results}) == 8
    assert elapsed >= 0.3
    assert elapsed < 1.8  # functional check of concurrency (serial would be >= 2.4 s)


def test_keep_alive_and_content_length(stub: StubServer) -> None:
    conn = http.client.HTTPConnection(stub.host, stub.port, timeout=5)
    try:
        for _ in range(2):  # two requests on one connection
            body = json.dumps({"model": "m", "messages": USER})
            conn.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
            response = conn.getresponse()
            data = response.read()
            assert response.status == 200
            assert response.version == 11
            assert response.getheader("Content-Type") == "application/json"
            assert int(response.getheader("Content-Length") or -1) == len(data)
            assert (response.getheader("Connection") or "").lower() != "close"
            assert response.getheader("Date") is None  # keeps recordings byte-stable
            assert not response.will_close
            assert json.loads(data)["object"] == "chat.completion"
    finally:
        conn.close()


def test_invalid_request_body_is_400(stub: StubServer) -> None:
    conn = http.client.HTTPConnection(stub.host, stub.port, timeout=5)
    try:
        conn.request("POST", "/v1/chat/completions", b"{not json", {"Content-Length": "9"})
        response = conn.getresponse()
        payload = json.loads(response.read())
    finally:
        conn.close()
    assert response.status == 400
    assert payload["error"]["type"] == "invalid_request_error"
    assert stub.requests[-1]["json"] is None


def test_binds_only_to_loopback() -> None:
    server = StubServer().start()
    try:
        assert server.host == "127.0.0.1"
        assert server.port > 0
        assert server.base_url == f"http://127.0.0.1:{server.port}/v1"
        port = server.port
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
    finally:
        server.stop()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


def test_stop_with_idle_keep_alive_connection_open() -> None:
    server = StubServer(responder=_fixed).start()
    c = openai.OpenAI(api_key="k", base_url=server.base_url, max_retries=0)
    try:
        _plain_call(c)  # leaves a pooled keep-alive connection open
        server.stop()
        server.stop()  # idempotent
        with pytest.raises(openai.APIConnectionError):
            _plain_call(c)
    finally:
        c.close()


# -- helpers -------------------------------------------------------------------------------


def test_document_text_from_request() -> None:
    assert document_text_from_request({"messages": [{"role": "user", "content": "abc"}]}) == "abc"
    parts = [
        {"type": "text", "text": "one"},
        {"type": "image_url"},
        {"type": "text", "text": "two"},
    ]
    request = {
        "messages": [
            {"role": "system", "content": "sys"},
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "x"},
            {"role": "user", "content": parts},
            {"role": "tool", "content": "t", "tool_call_id": "call_1"},
        ]
    }
    assert document_text_from_request(request) == "one\ntwo"
    assert document_text_from_request({"messages": [{"role": "system", "content": "s"}]}) == ""
    assert document_text_from_request({}) == ""


# -- instructor against the stub -----------------------------------------------------------


class Person(BaseModel):
    name: str
    age: int


def _person(_request: dict[str, Any]) -> dict[str, Any]:
    return {"name": "Ada", "age": 36}


@pytest.fixture
def person_stub() -> Iterator[StubServer]:
    with running_stub(responder=_person) as server:
        yield server


@pytest.fixture
def person_client(person_stub: StubServer) -> Iterator[openai.OpenAI]:
    c = openai.OpenAI(api_key="test-key", base_url=person_stub.base_url, max_retries=0)
    try:
        yield c
    finally:
        c.close()


def test_instructor_tools_mode(person_stub: StubServer, person_client: openai.OpenAI) -> None:
    ic = instructor.from_openai(person_client, mode=instructor.Mode.TOOLS)
    person = ic.create(
        model="gpt-4o-mini",
        response_model=Person,
        messages=[{"role": "user", "content": "Ada is 36."}],
    )
    assert person.model_dump() == {"name": "Ada", "age": 36}
    (request,) = person_stub.chat_requests()
    body = request["json"]
    assert body["tool_choice"] == {"type": "function", "function": {"name": "Person"}}
    (tool,) = body["tools"]
    assert tool["type"] == "function"
    assert tool["function"]["name"] == "Person"
    assert tool["function"]["parameters"]["required"] == ["age", "name"]
    assert "response_format" not in body


def test_instructor_create_with_completion_exposes_usage(
    person_stub: StubServer, person_client: openai.OpenAI
) -> None:
    ic = instructor.from_openai(person_client, mode=instructor.Mode.TOOLS)
    person, completion = ic.create_with_completion(
        model="m", response_model=Person, messages=[{"role": "user", "content": "Ada is 36."}]
    )
    assert person.name == "Ada"
    assert completion.model == DEFAULT_MODEL_NAME
    answer = json.dumps(_person({}))
    assert completion.usage.prompt_tokens == len("Ada is 36.") // 4
    assert completion.usage.completion_tokens == len(answer) // 4


def test_instructor_reask_after_validation_error(
    person_stub: StubServer, person_client: openai.OpenAI
) -> None:
    ic = instructor.from_openai(person_client, mode=instructor.Mode.TOOLS)
    person_stub.enqueue(Fault.answer({"name": "Ada", "age": "unknown"}))
    person, completion = ic.create_with_completion(
        model="m",
        response_model=Person,
        messages=[{"role": "user", "content": "Ada is 36."}],
        max_retries=1,
    )
    assert person.age == 36
    _first, second = person_stub.chat_requests()
    assistant, tool = second["json"]["messages"][1:]
    assert assistant["role"] == "assistant"
    assert assistant["tool_calls"][0]["id"] == "call_1"
    assert json.loads(assistant["tool_calls"][0]["function"]["arguments"])["age"] == "unknown"
    assert tool["role"] == "tool"
    assert tool["tool_call_id"] == "call_1"
    assert tool["name"] == "Person"
    assert tool["content"].startswith("Validation Error found:\n")
    assert "Recall the function correctly, fix the errors" in tool["content"]
    # instructor overwrites completion.usage with the total over all attempts
    bad = json.dumps({"name": "Ada", "age": "unknown"})
    good = json.dumps(_person({}))
    assert completion.usage.completion_tokens == len(bad) // 4 + len(good) // 4


def test_instructor_invalid_json_exhausts_retries(
    person_stub: StubServer, person_client: openai.OpenAI
) -> None:
    ic = instructor.from_openai(person_client, mode=instructor.Mode.TOOLS)
    person_stub.enqueue(Fault.invalid_json(), Fault.invalid_json())
    with pytest.raises(InstructorRetryException) as info:
        ic.create(
            model="m",
            response_model=Person,
            messages=[{"role": "user", "content": "x"}],
            max_retries=1,
        )
    assert info.value.n_attempts == 2
    assert len(person_stub.chat_requests()) == 2


def test_instructor_wraps_api_errors(person_stub: StubServer, person_client: openai.OpenAI) -> None:
    ic = instructor.from_openai(person_client, mode=instructor.Mode.TOOLS)
    person_stub.enqueue(Fault.status(429, retry_after=1))
    with pytest.raises(InstructorRetryException) as info:
        ic.create(model="m", response_model=Person, messages=[{"role": "user", "content": "x"}])
    assert isinstance(info.value.__cause__, openai.RateLimitError)
    assert info.value.__cause__.response.headers["retry-after"] == "1"
    assert len(person_stub.chat_requests()) == 1  # instructor does not retry API errors


@pytest.mark.parametrize(
    ("mode", "expected_format_type"),
    [(instructor.Mode.JSON, "json_object"), (instructor.Mode.JSON_SCHEMA, "json_schema")],
)
def test_instructor_json_modes(
    person_stub: StubServer,
    person_client: openai.OpenAI,
    mode: instructor.Mode,
    expected_format_type: str,
) -> None:
    ic = instructor.from_openai(person_client, mode=mode)
    person = ic.create(
        model="m", response_model=Person, messages=[{"role": "user", "content": "Ada is 36."}]
    )
    assert person.model_dump() == {"name": "Ada", "age": 36}
    body = person_stub.chat_requests()[0]["json"]
    assert "tools" not in body
    assert body["response_format"]["type"] == expected_format_type
    if mode is instructor.Mode.JSON:
        # JSON mode prepends a system message carrying the schema
        assert body["messages"][0]["role"] == "system"
        assert '"age"' in body["messages"][0]["content"]
    else:
        assert body["response_format"]["json_schema"]["name"] == "Person"
        assert body["messages"] == [{"role": "user", "content": "Ada is 36."}]


def test_instructor_context_renders_messages_as_jinja(
    person_stub: StubServer, person_client: openai.OpenAI
) -> None:
    """Passing ``context=`` makes instructor render (and dedent) every message as Jinja."""
    ic = instructor.from_openai(person_client, mode=instructor.Mode.TOOLS)
    ic.create(
        model="m",
        response_model=Person,
        messages=[{"role": "user", "content": "  Ada {{ x }}\n  is 36."}],
        context={"x": "Lovelace"},
    )
    sent = person_stub.chat_requests()[0]["json"]["messages"][0]["content"]
    assert sent == "Ada Lovelace\nis 36."
