"""Render, sign and verify each stage document; print median and p95 (wall and CPU).

Usage: .venv/bin/python bench/sign_verify.py [runs]
Targets (issue 4): a stage's final PDF rendered and signed by both signers under
1.5 s of CPU; verifying a four-signature PDF under 0.3 s. Not a test: it prints.
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sepakat.settings")

import django  # noqa: E402

django.setup()

from agreements.kinds import render_stage_pdf  # noqa: E402
from agreements.signing import (  # noqa: E402
    SignatureRequest,
    ensure_authority,
    issue_signer,
    sign_pdf,
    verify_pdf,
)
from agreements.signing.backends.local import LocalKeyBackend  # noqa: E402
from bench.samples import SAMPLES  # noqa: E402

AUTHORITY_SECRET = "rahasia-operator-bench"  # the operator's secret of the throwaway authority made here

PASSPHRASE = "passphrase-bench-123"


def timed(function):
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def summary(values):
    ordered = sorted(values)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)]


def sign_all(rendered, signers, roots):
    content = rendered.content
    for index, signer in enumerate(signers):
        box = rendered.signature_boxes[f"ttd_{index}"]
        content = sign_pdf(
            content,
            SignatureRequest(
                field_name=f"ttd_{index}",
                page_index=box.page_index,
                box=box.box,
                stamp_lines=(
                    "Ditandatangani secara elektronik oleh",
                    f"Penanda tangan {index}",
                    "Jabatan",
                    "05-03-2024 10:12 WIB",
                ),
            ),
            signer,
            trust_roots_pem=roots,
        ).content
    return content


def main(runs: int) -> None:
    authority = ensure_authority(Path(tempfile.mkdtemp(prefix="sepakat-bench-pki-")), secret=AUTHORITY_SECRET)
    credentials = [
        issue_signer(
            authority,
            ca_secret=AUTHORITY_SECRET,
            common_name=f"Penanda tangan {i}",
            organisation="Bench",
            unit="Bench",
            nip=str(i),
            passphrase=PASSPHRASE,
        )
        for i in range(4)
    ]
    backend = LocalKeyBackend(authority)
    signers = [backend.unlock(c, PASSPHRASE) for c in credentials]
    roots = backend.trust_roots_pem()
    print(f"{runs} runs each; times in seconds (median / p95)")
    for kind, sample in SAMPLES.items():
        data = sample(2)
        render_stage_pdf(kind, data, draft=False)  # warm-up
        render_wall, render_cpu, sign_wall, sign_cpu, total_cpu = [], [], [], [], []
        for _ in range(runs):
            rendered, wall, cpu = timed(lambda data=data, kind=kind: render_stage_pdf(kind, data, draft=False))
            render_wall.append(wall)
            render_cpu.append(cpu)
            _, wall2, cpu2 = timed(lambda rendered=rendered: sign_all(rendered, signers[:2], roots))
            sign_wall.append(wall2 / 2)
            sign_cpu.append(cpu2 / 2)
            total_cpu.append(cpu + cpu2)
        print(
            f"{kind:<11} render {summary(render_wall)[0]:.3f}/{summary(render_wall)[1]:.3f}  "
            f"one signature {summary(sign_wall)[0]:.3f}/{summary(sign_wall)[1]:.3f}  "
            f"render+2 signatures CPU {summary(total_cpu)[0]:.3f}/{summary(total_cpu)[1]:.3f}"
        )
    four = sign_all(render_stage_pdf("masterplan", SAMPLES["masterplan"](4), draft=False), signers, roots)
    verify_wall, verify_cpu = [], []
    for _ in range(runs):
        report, wall, cpu = timed(lambda: verify_pdf(four, trust_roots_pem=roots))
        assert report.valid and len(report.signatures) == 4
        verify_wall.append(wall)
        verify_cpu.append(cpu)
    print(
        f"verify 4-signature masterplan: wall {summary(verify_wall)[0]:.3f}/{summary(verify_wall)[1]:.3f}  "
        f"CPU {summary(verify_cpu)[0]:.3f}/{summary(verify_cpu)[1]:.3f}"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
