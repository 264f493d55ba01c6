"""The official `anthropic` Python SDK against bifrost-http's /anthropic drop-in route, and the `openai`
SDK against /openai/v1. The gateway forwards to bifrost-mock over HTTPS (conftest.py): its `anthropic`
provider speaks the Messages API to the mock, its `openai` provider OpenAI's chat API.
"""

from __future__ import annotations

import anthropic
import openai
import pytest

MESSAGES = [{"role": "user", "content": "Say hello."}]

WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Current weather for a city.",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def test_message_returns_mock_text_stop_reason_and_usage(claude, mock_text):
    message = claude.messages.create(model="claude-3-5-haiku-latest", max_tokens=100, messages=MESSAGES,
                                     system="Be brief.")

    assert message.type == "message"
    assert message.role == "assistant"
    assert [block.type for block in message.content] == ["text"]
    assert message.content[0].text == mock_text
    assert message.stop_reason == "end_turn"
    assert message.model == "claude-3-5-haiku-latest"
    assert message.usage.input_tokens > 0
    assert message.usage.output_tokens > 0


def test_streamed_message_text_and_final_message(claude, mock_text):
    with claude.messages.stream(model="claude-3-5-haiku-latest", max_tokens=100, messages=MESSAGES) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()

    assert text == mock_text
    assert final.stop_reason == "end_turn"
    assert final.content[0].text == mock_text
    assert final.usage.output_tokens > 0


def test_tool_use_comes_back_as_a_tool_use_block(claude):
    message = claude.messages.create(model="mock-tool-model", max_tokens=100, tools=[WEATHER_TOOL],
                                     messages=[{"role": "user", "content": "Weather in Oslo?"}])

    assert message.stop_reason == "tool_use"
    uses = [block for block in message.content if block.type == "tool_use"]
    assert len(uses) == 1
    assert uses[0].name == "get_weather"
    assert uses[0].id
    assert uses[0].input == {}


def test_streamed_tool_use_is_assembled_by_the_sdk(claude):
    with claude.messages.stream(model="mock-tool-model", max_tokens=100, tools=[WEATHER_TOOL],
                                messages=[{"role": "user", "content": "Weather in Oslo?"}]) as stream:
        final = stream.get_final_message()

    assert final.stop_reason == "tool_use"
    uses = [block for block in final.content if block.type == "tool_use"]
    assert [use.name for use in uses] == ["get_weather"]


def test_tool_result_turn_is_accepted(claude, mock_text):
    message = claude.messages.create(
        model="claude-3-5-haiku-latest", max_tokens=100, tools=[WEATHER_TOOL],
        messages=[
            {"role": "user", "content": "Weather in Oslo?"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "get_weather",
                                               "input": {"city": "Oslo"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "4 degrees"},
                                         {"type": "text", "text": "Summarise."}]},
        ])

    assert message.content[0].text == mock_text


def test_upstream_401_raises_authentication_error(claude):
    with pytest.raises(anthropic.AuthenticationError) as caught:
        claude.messages.create(model="mock-fault-status-401", max_tokens=10, messages=MESSAGES)

    assert caught.value.status_code == 401
    body = caught.value.body
    assert body["type"] == "error", body
    assert body["error"]["type"] == "authentication_error", body


def test_upstream_429_raises_rate_limit_error(claude):
    with pytest.raises(anthropic.RateLimitError) as caught:
        claude.messages.create(model="mock-fault-status-429", max_tokens=10, messages=MESSAGES)

    assert caught.value.status_code == 429


def test_bad_request_names_the_field(claude):
    with pytest.raises(anthropic.BadRequestError) as caught:
        claude.post("/v1/messages", body={"model": "claude-3-5-haiku-latest", "max_tokens": 10}, cast_to=object)

    assert caught.value.status_code == 400
    assert "messages" in caught.value.body["error"]["message"]
    assert caught.value.body["error"]["type"] == "invalid_request_error"


def test_any_provider_answers_behind_the_anthropic_route(claude, mock_text):
    message = claude.messages.create(model="openai/gpt-4o-mini", max_tokens=50, messages=MESSAGES)

    assert message.content[0].text == mock_text
    assert message.stop_reason == "end_turn"


def test_openai_dropin_route_defaults_to_the_openai_provider(openai_dropin, mock_text):
    completion = openai_dropin.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)

    assert completion.choices[0].message.content == mock_text
    stream = openai_dropin.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == mock_text


def test_openai_dropin_route_still_routes_provider_prefixes(openai_dropin, mock_text):
    completion = openai_dropin.chat.completions.create(model="anthropic/claude-3-5-haiku-latest", messages=MESSAGES)

    assert completion.choices[0].message.content == mock_text
    assert completion.model_extra["extra_fields"]["provider"] == "anthropic"


def test_fallback_from_openai_to_anthropic(client, mock_text):
    completion = client.chat.completions.create(
        model="openai/mock-fault-status-500", messages=MESSAGES,
        extra_body={"fallbacks": ["anthropic/claude-3-5-haiku-latest"]},
    )

    assert completion.choices[0].message.content == mock_text
    assert completion.model_extra["extra_fields"]["provider"] == "anthropic"


def test_openai_sdk_streams_tool_calls_with_index(client):
    stream = client.chat.completions.create(
        model="openai/mock-tool-model", stream=True, messages=[{"role": "user", "content": "Weather?"}],
        tools=[{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}],
    )
    calls = [call for chunk in stream if chunk.choices for call in (chunk.choices[0].delta.tool_calls or [])]

    assert calls, "no tool call deltas"
    assert all(call.index == 0 for call in calls), calls
    assert calls[0].function.name == "get_weather"


def test_bedrock_answers_through_the_openai_route(client, mock_text):
    completion = client.chat.completions.create(model="bedrock/anthropic.claude-3-haiku-20240307-v1:0", messages=MESSAGES)

    assert completion.choices[0].message.content == mock_text
    assert completion.model_extra["extra_fields"]["provider"] == "bedrock"


def test_fallback_from_bedrock_to_anthropic(client, mock_text):
    completion = client.chat.completions.create(
        model="bedrock/mock-fault-status-500", messages=MESSAGES,
        extra_body={"fallbacks": ["anthropic/claude-3-5-haiku-latest"]},
    )

    assert completion.choices[0].message.content == mock_text
    assert completion.model_extra["extra_fields"]["provider"] == "anthropic"
