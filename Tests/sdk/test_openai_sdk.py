"""The official `openai` Python SDK against bifrost-http, which forwards to bifrost-mock over HTTPS.

The fixtures (conftest.py) start both processes; `client` is
`OpenAI(base_url="http://127.0.0.1:<port>/v1", api_key="unused", max_retries=0)`.
"""

from __future__ import annotations

import json

import openai
import pytest

from conftest import LISTED_MODELS

MESSAGES = [{"role": "user", "content": "Say hello."}]

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


def _error_body(exc: openai.APIStatusError) -> dict:
    try:
        return exc.response.json()
    except ValueError:
        return {"raw": exc.response.text}


def test_chat_completion_returns_mock_text_model_and_usage(client, mock_text):
    completion = client.chat.completions.create(model="openai/gpt-4o-mini", messages=MESSAGES)

    assert completion.object == "chat.completion"
    assert completion.id
    assert completion.model.endswith("gpt-4o-mini"), completion.model
    assert len(completion.choices) == 1
    choice = completion.choices[0]
    assert choice.index == 0
    assert choice.finish_reason == "stop"
    assert choice.message.role == "assistant"
    assert choice.message.content == mock_text
    assert not choice.message.tool_calls

    usage = completion.usage
    assert usage is not None
    assert usage.prompt_tokens > 0
    assert usage.completion_tokens == len(mock_text.split())
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_streaming_chunks_concatenate_to_mock_text_and_end_cleanly(client, mock_text):
    stream = client.chat.completions.create(model="openai/gpt-4o-mini", messages=MESSAGES, stream=True)

    chunks = list(stream)  # raises if an event is malformed or the stream breaks off
    assert chunks, "no chunks"
    assert all(chunk.object == "chat.completion.chunk" for chunk in chunks)
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert content == mock_text
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"], finishes
    assert stream.response.is_closed


def test_streaming_sse_ends_with_done_marker(client, mock_text):
    with client.chat.completions.with_streaming_response.create(
        model="openai/gpt-4o-mini", messages=MESSAGES, stream=True
    ) as response:
        assert response.http_response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        data = [line[len("data:"):].strip() for line in response.iter_lines() if line.startswith("data:")]

    assert data, "no SSE data lines"
    assert data[-1] == "[DONE]", data[-3:]
    assert data.count("[DONE]") == 1
    events = [json.loads(item) for item in data[:-1]]
    content = "".join(
        (choice.get("delta") or {}).get("content") or "" for event in events for choice in event.get("choices", [])
    )
    assert content == mock_text


def test_tool_call_comes_back_as_message_tool_calls(client):
    completion = client.chat.completions.create(
        model="openai/mock-tool-model",
        messages=[{"role": "user", "content": "What is the weather in Oslo?"}],
        tools=[WEATHER_TOOL],
    )

    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    calls = choice.message.tool_calls
    assert calls, f"no tool_calls in {choice.message!r}"
    assert len(calls) == 1
    assert calls[0].type == "function"
    assert calls[0].id
    assert calls[0].function.name == "get_weather"
    assert json.loads(calls[0].function.arguments) == {}


def test_upstream_401_raises_authentication_error(client):
    with pytest.raises(openai.AuthenticationError) as caught:
        client.chat.completions.create(model="openai/mock-fault-status-401", messages=MESSAGES)

    assert caught.value.status_code == 401
    body = _error_body(caught.value)
    assert body.get("status_code") == 401, body
    assert body.get("error", {}).get("message"), body


def test_missing_messages_raises_bad_request_naming_messages(client):
    with pytest.raises(openai.BadRequestError) as caught:
        # The SDK requires `messages`; send the request without it the way a caller could.
        client.post("/chat/completions", body={"model": "openai/gpt-4o-mini"}, cast_to=object)

    error = caught.value
    assert error.status_code == 400
    assert "messages" in error.message, error.message
    body = _error_body(error)
    assert body.get("is_bifrost_error") is True, body
    assert body.get("status_code") == 400, body
    assert body["error"].get("param") == "messages", body
    assert error.param == "messages"


def test_model_without_provider_raises_bad_request_naming_model(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)

    error = caught.value
    assert error.status_code == 400
    assert "model" in error.message, error.message
    assert "provider" in error.message, error.message
    body = _error_body(error)
    assert body.get("status_code") == 400, body
    assert body["error"].get("param") == "model", body
    assert error.param == "model"


def test_fallback_after_upstream_500_succeeds(client, mock_text):
    completion = client.chat.completions.create(
        model="openai/mock-fault-status-500",
        messages=MESSAGES,
        extra_body={"fallbacks": ["openai/gpt-4o-mini"]},
    )

    assert completion.choices[0].message.content == mock_text
    assert completion.model.endswith("gpt-4o-mini"), completion.model


def test_upstream_500_without_fallback_raises_internal_server_error(client):
    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(model="openai/mock-fault-status-500", messages=MESSAGES)

    assert caught.value.status_code == 500


def test_embeddings_create_returns_vectors(client):
    result = client.embeddings.create(model="openai/text-embedding-3-small", input=["first", "second"])

    assert result.object == "list"
    assert [item.index for item in result.data] == [0, 1]
    for item in result.data:
        assert item.object == "embedding"
        assert isinstance(item.embedding, list)
        assert len(item.embedding) > 0
        assert all(isinstance(value, float) for value in item.embedding)
    assert len(result.data[0].embedding) == len(result.data[1].embedding)
    assert result.model.endswith("text-embedding-3-small"), result.model
    assert result.usage.prompt_tokens > 0


def test_models_list_names_configured_models(client):
    models = client.models.list()

    ids = sorted(model.id for model in models)
    assert ids == sorted(f"openai/{name}" for name in LISTED_MODELS)
    assert all(model.object == "model" and model.owned_by == "openai" for model in models.data)
