"""The official `google-genai` Python SDK against bifrost-http's GenAI drop-in route
(`/genai/v1beta/models/{model}:generateContent`), with the gateway's `openai` and `anthropic` providers
answering behind it (the mock speaks their APIs; conftest.py starts both processes)."""

from __future__ import annotations

import pytest
from google import genai
from google.genai import errors, types


@pytest.fixture(scope="session")
def gemini(gateway_port):
    return genai.Client(api_key="unused", http_options=types.HttpOptions(
        base_url=f"http://127.0.0.1:{gateway_port}/genai", api_version="v1beta", timeout=15_000))


def test_generate_content_through_another_provider(gemini, mock_text):
    response = gemini.models.generate_content(model="openai/gpt-4o-mini", contents="Say hello.",
                                              config=types.GenerateContentConfig(temperature=0.2, max_output_tokens=50))

    assert response.text == mock_text
    assert response.candidates[0].finish_reason == types.FinishReason.STOP
    assert response.usage_metadata.total_token_count > 0


def test_stream_generate_content(gemini, mock_text):
    chunks = list(gemini.models.generate_content_stream(model="anthropic/claude-3-5-haiku-latest", contents="Say hello."))

    assert "".join(chunk.text or "" for chunk in chunks) == mock_text
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP


def test_function_call_comes_back_as_a_function_call_part(gemini):
    weather = types.FunctionDeclaration(name="get_weather", description="Weather for a city.",
                                        parameters=types.Schema(type="OBJECT", properties={"city": types.Schema(type="STRING")}))
    response = gemini.models.generate_content(
        model="openai/mock-tool-model", contents="Weather in Oslo?",
        config=types.GenerateContentConfig(tools=[types.Tool(function_declarations=[weather])],
                                           automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True)))

    calls = response.function_calls
    assert calls and calls[0].name == "get_weather"


def test_upstream_errors_raise_the_sdk_errors(gemini):
    with pytest.raises(errors.ClientError) as caught:
        gemini.models.generate_content(model="openai/mock-fault-status-429", contents="hi")

    assert caught.value.code == 429
    assert caught.value.status == "RESOURCE_EXHAUSTED"
