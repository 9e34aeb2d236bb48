"""The official OpenAI Python package, unchanged, against batch-image's /v1. run.sh runs it when the package is there."""
import math
import os
import sys

import openai

base = os.environ["BATCH_IMAGE_URL"]
key = os.environ.get("BATCH_IMAGE_API_KEY") or "no-key-needed"
MODEL = "all-minilm-l6-v2-q"
client = openai.OpenAI(api_key=key, base_url=base + "/v1", max_retries=0)
failed = 0


def check(what, fn):
    global failed
    try:
        fn()
        print(f"ok   openai-python {openai.__version__}: {what}")
    except Exception as e:  # noqa: BLE001 - every failure is reported with its check
        failed += 1
        print(f"FAIL openai-python {openai.__version__}: {what}: {type(e).__name__}: {e}")


def embeddings():
    # the package asks for base64 by default and decodes it
    r = client.embeddings.create(model=MODEL, input=["a cat", "a red car"])
    assert [d.index for d in r.data] == [0, 1]
    norm = math.sqrt(sum(x * x for x in r.data[0].embedding))
    assert abs(norm - 1) < 1e-3, norm


def retrieve():
    assert client.models.retrieve(MODEL).id == MODEL
    assert MODEL in [m.id for m in client.models.list()]


def unknown_model():
    try:
        client.models.retrieve("no-such-model")
    except openai.NotFoundError as e:
        assert e.code == "model_not_found", e.body
        return
    raise AssertionError("no NotFoundError")


def wrong_key():
    wrong = openai.OpenAI(api_key="wrong-" + key, base_url=base + "/v1", max_retries=0)
    try:
        wrong.embeddings.create(model=MODEL, input="x")
    except openai.AuthenticationError:
        return
    raise AssertionError("a wrong key was accepted")


check("embeddings.create (default base64) answers unit vectors in order", embeddings)
check("models.retrieve and models.list answer the model", retrieve)
check("models.retrieve of an unknown model is NotFoundError, code model_not_found", unknown_model)
if os.environ.get("BATCH_IMAGE_API_KEY"):
    check("a wrong Bearer key is refused (401)", wrong_key)
sys.exit(1 if failed else 0)
