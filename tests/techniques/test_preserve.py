from headroom_edge.technique import Technique
from tests import factories as f
from tests.techniques.helpers import run_technique


def test_preserve_sends_the_client_bytes() -> None:
    data = f.photo_jpeg()
    outcome, original = run_technique(Technique.PRESERVE, data, "anthropic", None)
    assert outcome.edit is None
    assert outcome.tokens == original
    assert outcome.nbytes == len(data)
