"""README's command `python -m explain_core explain --model ... --sample N ...` explains
sample N: argparse hands the sample over as text, which the service refuses as a sample id."""
from __future__ import annotations

from explain_core.__main__ import main


def test_cli_explains_the_sample_it_is_given(settings, service, capsys):
    rc = main(["--model-store", str(settings.model_store), "explain", "--model", "wine-mlp", "--sample", "3",
               "--method", "saliency", "--top", "3"])
    out = capsys.readouterr()
    assert rc in (0, None), out.err
    assert "wine-mlp sample 3:" in out.out, out.out + out.err
    assert "saliency" in out.out
