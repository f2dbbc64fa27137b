"""The GitHub Action (action.yml) and the documented pull-request workflows, run locally.

The `run:` steps execute with bash as GitHub's runner runs them, `${{ … }}` expressions
replaced from the inputs, with a fake `attoreport` on PATH that records its arguments and
writes outputs with the real library (the CLI flags the action passes may not exist yet).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).parent.parent
SAMPLE = ROOT / "sample_traces" / "collector-doom-loop-tool-errors.jsonl"  # score 62.9
CLEAN = ROOT / "sample_traces" / "collector-clean-feature.jsonl"  # score 88.6
WORKFLOWS = Path(__file__).parent / "fixtures" / "workflows"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
MARKER = "<!-- attoreport -->"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def load_yaml(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(path.read_text())
    return document


ACTION = load_yaml(ROOT / "action.yml")
STEPS = ACTION["runs"]["steps"]


def step(step_id: str) -> dict[str, Any]:
    return next(s for s in STEPS if s.get("id") == step_id)


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    """`on:` (YAML 1.1 reads the bare key `on` as True)."""
    on: dict[str, Any] = workflow.get("on", workflow.get(True))
    return on


# --- a small local runner -----------------------------------------------------------------------


def evaluate(text: str, context: dict[str, str]) -> str:
    """Replace each `${{ name }}`; an expression the test does not know is an error."""
    return EXPRESSION.sub(lambda m: context[m.group(1)], text)


def read_outputs(path: Path) -> dict[str, str]:
    outputs = {}
    for line in path.read_text().splitlines():
        key, equals, value = line.partition("=")
        assert equals, f"not key=value: {line!r}"
        outputs[key] = value
    return outputs


@dataclass
class Runner:
    """What GitHub's runner gives a step: files for outputs, summary and PATH, a temp folder."""

    root: Path
    fakes: Path = field(init=False)
    workspace: Path = field(init=False)

    def __post_init__(self) -> None:
        self.fakes = self.root / "fakes"
        self.workspace = self.root / "workspace"
        for folder in (self.fakes, self.workspace, self.root / "temp"):
            folder.mkdir(parents=True, exist_ok=True)
        self.summary.write_text("## From an earlier step\n")
        self.github_path.write_text("")

    @property
    def summary(self) -> Path:
        return self.root / "step_summary.md"

    @property
    def github_path(self) -> Path:
        return self.root / "github_path"

    def fake(self, name: str, body: str) -> Path:
        """An executable Python script on PATH (run by this interpreter)."""
        path = self.fakes / name
        path.write_text(f"#!{sys.executable}\n" + textwrap.dedent(body))
        path.chmod(0o755)
        return path

    def run(self, the_step: dict[str, Any], context: dict[str, str],
            env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
        output = self.root / f"output-{the_step.get('id', 'step')}"
        output.write_text("")
        script = self.root / "step.sh"
        script.write_text(evaluate(the_step["run"], context))
        step_env = {key: evaluate(str(value), context) for key, value in the_step.get("env", {}).items()}
        shell = the_step.get("shell")
        # GitHub: `shell: bash` is bash --noprofile --norc -eo pipefail; no shell is bash -e.
        command = (["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)] if shell == "bash"
                   else ["bash", "-e", str(script)])
        full_env = {
            "PATH": f"{self.fakes}{os.pathsep}{os.environ['PATH']}",
            "HOME": str(self.root),
            "RUNNER_TEMP": str(self.root / "temp"),
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(self.summary),
            "GITHUB_PATH": str(self.github_path),
            **(env or {}),
            **step_env,
        }
        result = subprocess.run(command, cwd=self.workspace, env=full_env, capture_output=True,
                                text=True, check=False, timeout=120)
        return result, read_outputs(output)


FAKE_ATTOREPORT = """
    import json, os, sys
    sys.path.insert(0, os.environ["ATTOREPORT_SOURCE"])
    args = sys.argv[1:]
    with open(os.environ["FAKE_LOG"], "a") as log:
        log.write(json.dumps(args) + "\\n")
    code = int(os.environ.get("FAKE_EXIT", "0"))
    if code != 2:  # 2: bad usage, nothing written
        import attoreport
        split = args.index("--")
        options, traces = args[:split], args[split + 1:]
        value = lambda flag: options[options.index(flag) + 1]
        analyses = [attoreport.analyse(s) for s in attoreport.load(traces)]
        open(value("--output"), "w").write("<!doctype html><title>report</title>")
        open(value("--json"), "w").write(attoreport.render_json(analyses))
        open(value("--markdown"), "w").write("<!-- attoreport -->\\n## Agent session report\\n")
    sys.exit(code)
"""


@pytest.fixture
def runner(tmp_path: Path) -> Runner:
    return Runner(tmp_path)


def action_context(**inputs: str) -> dict[str, str]:
    """The expressions the action's steps use: inputs (with their defaults) and github.*."""
    context = {f"inputs.{name}": str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    for name, value in inputs.items():
        assert f"inputs.{name}" in context, f"unknown input {name}"
        context[f"inputs.{name}"] = value
    context["github.action_path"] = str(ROOT)
    return context


def run_attoreport_step(runner: Runner, exit_code: int = 0, **inputs: str
                        ) -> tuple[subprocess.CompletedProcess[str], dict[str, str], list[list[str]]]:
    runner.fake("attoreport", FAKE_ATTOREPORT)
    log = runner.root / "attoreport-calls.jsonl"
    result, outputs = runner.run(step("run"), action_context(**inputs), {
        "FAKE_LOG": str(log), "FAKE_EXIT": str(exit_code), "ATTOREPORT_SOURCE": str(ROOT)})
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return result, outputs, calls


# --- the action's definition ----------------------------------------------------------------------


def test_the_action_is_composite_with_the_documented_inputs_and_outputs() -> None:
    assert ACTION["name"] == "attoreport" and ACTION["description"]
    assert ACTION["runs"]["using"] == "composite"
    assert set(ACTION["inputs"]) == {"traces", "output", "fail-on", "fail-under", "baseline",
                                     "threshold", "fail-on-regression", "annotations"}
    for name, spec in ACTION["inputs"].items():
        assert spec["description"] and isinstance(spec["default"], str), name
        assert spec["required"] is False, name
    assert set(ACTION["outputs"]) == {"report-path", "json-path", "markdown-path", "exit-code",
                                      "score", "artifact-url"}
    for name, spec in ACTION["outputs"].items():
        expected = ("${{ steps.upload.outputs.artifact-url }}" if name == "artifact-url"
                    else f"${{{{ steps.run.outputs.{name} }}}}")
        assert spec["value"] == expected and spec["description"], name


def test_steps_install_run_upload_then_fail() -> None:
    assert [s.get("id") for s in STEPS] == ["install", "run", "upload", "fail"]
    upload = step("upload")
    assert upload["uses"] == "actions/upload-artifact@v7"
    assert upload["with"]["archive"] is False  # one file, unzipped: the browser opens it
    assert upload["with"]["path"] == "${{ steps.run.outputs.report-path }}"
    assert "steps.run.outputs.report-written == 'true'" in upload["if"]
    assert "!cancelled()" in upload["if"] and "!cancelled()" in step("fail")["if"]
    assert "steps.run.outputs.exit-code != ''" in step("fail")["if"]


def test_shell_steps_take_inputs_only_through_the_environment() -> None:
    """No `${{ }}` inside a script: an input cannot inject shell code."""
    used = set()
    for the_step in STEPS:
        if "run" in the_step:
            assert the_step["shell"] == "bash"
            assert "${{" not in the_step["run"], the_step.get("id")
        for value in the_step.get("env", {}).values():
            used.update(re.findall(r"inputs\.([\w-]+)", str(value)))
    assert used == set(ACTION["inputs"])  # every input is used, and only declared ones


def test_the_install_step_installs_this_checkout_into_its_own_venv(runner: Runner) -> None:
    calls = runner.root / "python-calls.jsonl"
    recorder = textwrap.dedent(f"""
        import json, os, sys
        with open({str(calls)!r}, "a") as log:
            log.write(json.dumps([os.path.basename(sys.argv[0])] + sys.argv[1:]) + "\\n")
    """)
    runner.fake("python3", recorder + textwrap.dedent(f"""
        if sys.argv[1:3] == ["-m", "venv"]:
            os.makedirs(os.path.join(sys.argv[3], "bin"))
            target = os.path.join(sys.argv[3], "bin", "python")
            with open(target, "w") as fh:
                fh.write("#!{sys.executable}\\n" + {recorder!r})
            os.chmod(target, 0o755)
    """))
    result, _ = runner.run(step("install"), action_context())
    assert result.returncode == 0, result.stderr
    venv = runner.root / "temp" / "attoreport-venv"
    assert [json.loads(line) for line in calls.read_text().splitlines()] == [
        ["python3", "-m", "venv", str(venv)],
        ["python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(ROOT)],
    ]
    assert runner.github_path.read_text() == f"{venv / 'bin'}\n"


def test_the_run_step_with_defaults(runner: Runner) -> None:
    result, outputs, calls = run_attoreport_step(runner, traces=str(SAMPLE))
    assert result.returncode == 0, result.stderr
    temp = runner.root / "temp" / "attoreport"
    assert calls == [["--output", "attoreport-report.html", "--json", f"{temp}/attoreport.json",
                      "--markdown", f"{temp}/attoreport.md", "--annotations", "github", "--",
                      str(SAMPLE)]]
    assert outputs == {"report-path": "attoreport-report.html", "report-written": "true",
                       "json-path": f"{temp}/attoreport.json",
                       "markdown-path": f"{temp}/attoreport.md", "exit-code": "0", "score": "62.9"}
    assert (runner.workspace / "attoreport-report.html").is_file()
    # appended after what earlier steps wrote, never replacing it
    assert runner.summary.read_text() == ("## From an earlier step\n" + MARKER
                                          + "\n## Agent session report\n")


def test_the_run_step_passes_every_input(runner: Runner) -> None:
    spaced = runner.workspace / "my traces" / "a b.jsonl"
    spaced.parent.mkdir()
    shutil.copy(CLEAN, spaced)
    (runner.workspace / "out").mkdir()
    result, outputs, calls = run_attoreport_step(
        runner,
        traces=f"\n  {SAMPLE}  \r\n\nmy traces/a b.jsonl\n",
        output=" out/report.html ",
        **{"fail-on": "high", "fail-under": " 70 ", "baseline": "main.json\n",
           "threshold": "cost=5\n\n  duration=off  \nscore=-2\n", "fail-on-regression": "true",
           "annotations": "false"})
    assert result.returncode == 0, result.stderr
    temp = runner.root / "temp" / "attoreport"
    assert calls == [["--output", "out/report.html", "--json", f"{temp}/attoreport.json",
                      "--markdown", f"{temp}/attoreport.md", "--fail-on", "high",
                      "--fail-under", "70", "--baseline", "main.json", "--fail-on-regression",
                      "--threshold", "cost=5", "--threshold", "duration=off",
                      "--threshold", "score=-2", "--", str(SAMPLE), "my traces/a b.jsonl"]]
    assert outputs["report-path"] == "out/report.html"
    assert outputs["score"] == "62.9"  # the lowest of the two sessions (88.6 and 62.9)


def test_no_traces_lets_attoreport_find_them_and_regression_needs_a_baseline(runner: Runner) -> None:
    traces = runner.workspace / ".attocode" / "traces"
    traces.mkdir(parents=True)
    _, _, calls = run_attoreport_step(runner, exit_code=2, **{"fail-on-regression": "true"})
    assert calls[0][-1] == "--" and "--fail-on-regression" not in calls[0]


@pytest.mark.parametrize("code", [0, 1, 3])
def test_the_exit_code_is_an_output_and_fails_the_last_step(runner: Runner, code: int) -> None:
    result, outputs, _ = run_attoreport_step(runner, exit_code=code, traces=str(SAMPLE))
    assert result.returncode == 0, result.stderr  # the run step itself never fails...
    assert outputs["exit-code"] == str(code)
    assert outputs["report-written"] == "true"  # ...so the report is uploaded first
    assert MARKER in runner.summary.read_text()
    final, _ = runner.run(step("fail"), {"steps.run.outputs.exit-code": outputs["exit-code"]})
    assert final.returncode == code


def test_bad_usage_writes_no_report_and_still_reports_the_code(runner: Runner) -> None:
    result, outputs, _ = run_attoreport_step(runner, exit_code=2, traces="missing.jsonl")
    assert result.returncode == 0, result.stderr
    assert (outputs["exit-code"], outputs["report-written"], outputs["score"]) == ("2", "false", "")
    assert runner.summary.read_text() == "## From an earlier step\n"
    final, _ = runner.run(step("fail"), {"steps.run.outputs.exit-code": "2"})
    assert final.returncode == 2


@pytest.mark.parametrize("bad", ["", "abc", "1; rm -rf /"])
def test_the_last_step_refuses_a_missing_or_odd_exit_code(runner: Runner, bad: str) -> None:
    final, _ = runner.run(step("fail"), {"steps.run.outputs.exit-code": bad})
    assert final.returncode == 3 and "no exit code" in final.stdout


@pytest.mark.parametrize(("inputs", "message"), [
    ({"output": "a.html\nb.html"}, "the output input must be one line"),
    ({"output": "  "}, "the output input is empty"),
    ({"baseline": "a.json\nb.json"}, "the baseline input must be one line"),
])
def test_inputs_that_would_corrupt_the_outputs_are_refused(runner: Runner, inputs: dict[str, str],
                                                           message: str) -> None:
    result, outputs, calls = run_attoreport_step(runner, traces=str(SAMPLE), **inputs)
    assert result.returncode == 2 and message in result.stdout
    assert calls == [] and outputs == {}


# --- the pull-request workflows (README) --------------------------------------------------------

PR = load_yaml(WORKFLOWS / "attoreport.yml")
COMMENT = load_yaml(WORKFLOWS / "attoreport-comment.yml")


def all_steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for job in workflow["jobs"].values() for s in job["steps"]]


def named_step(workflow: dict[str, Any], prefix: str) -> dict[str, Any]:
    return next(s for s in all_steps(workflow) if s.get("name", "").startswith(prefix))


def test_the_pr_workflow_uses_the_action_with_its_real_inputs() -> None:
    assert set(triggers(PR)) == {"pull_request", "push"}
    assert set(PR["permissions"].values()) == {"read"}  # nothing it could post with
    (action,) = [s for s in all_steps(PR) if re.fullmatch(r"[\w-]+/attoreport@v\d+", s.get("uses", ""))]
    assert set(action["with"]) <= set(ACTION["inputs"])
    assert action["with"]["baseline"] == "${{ steps.baseline.outputs.path }}"
    uploads = {s["with"]["name"]: s for s in all_steps(PR) if s.get("uses") == "actions/upload-artifact@v7"}
    assert set(uploads) == {"attoreport-baseline", "attoreport-comment"}
    assert uploads["attoreport-baseline"]["with"]["path"] == "${{ steps.attoreport.outputs.json-path }}"
    assert "github.event_name == 'push'" in uploads["attoreport-baseline"]["if"]
    for upload in uploads.values():  # also when a gate failed the report step
        assert "!cancelled()" in upload["if"]


def test_the_comment_workflow_is_fork_safe() -> None:
    on = triggers(COMMENT)
    assert on == {"workflow_run": {"workflows": [PR["name"]], "types": ["completed"]}}
    assert COMMENT["permissions"] == {"actions": "read", "pull-requests": "write"}
    (job,) = COMMENT["jobs"].values()
    assert "github.event.workflow_run.event == 'pull_request'" in job["if"]
    steps = all_steps(COMMENT)
    assert not any("checkout" in s.get("uses", "") for s in steps)  # never runs the PR's code
    assert all("uses" not in s for s in steps)
    script = steps[0]["run"]
    assert "${{" not in script and MARKER in script
    assert "attoreport-comment" in script  # the artifact the PR workflow uploads


def test_the_pr_workflow_saves_the_comment_and_the_number(runner: Runner) -> None:
    markdown = runner.root / "attoreport.md"
    markdown.write_text(MARKER + "\nbody\n")
    result, _ = runner.run(named_step(PR, "Save the comment"), {
        "steps.attoreport.outputs.markdown-path": str(markdown),
        "github.event.pull_request.number": "42"})
    assert result.returncode == 0, result.stderr
    assert (runner.workspace / "comment" / "comment.md").read_text() == MARKER + "\nbody\n"
    assert (runner.workspace / "comment" / "pr-number").read_text() == "42\n"


FAKE_GH = """
    import json, os, shutil, sys
    state = os.environ["FAKE_GH"]
    args = sys.argv[1:]
    with open(os.path.join(state, "calls.jsonl"), "a") as log:
        log.write(json.dumps(args) + "\\n")
    path = next((a for a in args if a.startswith("repos/")), "")
    if args[:2] == ["run", "download"]:
        if not os.path.isdir(os.path.join(state, "artifact")):
            print("no artifact", file=sys.stderr)
            sys.exit(1)
        shutil.copytree(os.path.join(state, "artifact"), args[args.index("--dir") + 1])
    elif "--method" in args:
        field = args[args.index("-F") + 1]
        assert field.startswith("body=@")
        body = open(field[len("body=@"):], encoding="utf-8").read()
        with open(os.path.join(state, "posted.json"), "w") as out:
            json.dump({"method": args[args.index("--method") + 1], "path": path, "body": body}, out)
    elif "/pulls/" in path:
        print(os.environ["FAKE_HEAD"])
    elif path.endswith("/comments"):
        if os.environ.get("FAKE_EXISTING"):
            print(os.environ["FAKE_EXISTING"])
            print("999")
"""


def post_comment(runner: Runner, markdown: str | None, pr_number: str = "42", head: str = "abc123",
                 existing: str = "") -> tuple[subprocess.CompletedProcess[str], dict[str, Any] | None]:
    state = runner.root / "gh"
    state.mkdir()
    if markdown is not None:
        (state / "artifact").mkdir()
        (state / "artifact" / "comment.md").write_text(markdown, encoding="utf-8")
        (state / "artifact" / "pr-number").write_text(pr_number + "\n")
    runner.fake("gh", FAKE_GH)
    context = {"github.token": "t", "github.repository": "o/r", "github.event.workflow_run.id": "7",
               "github.event.workflow_run.head_sha": "abc123"}
    result, _ = runner.run(all_steps(COMMENT)[0], context, {
        "FAKE_GH": str(state), "FAKE_HEAD": head, "FAKE_EXISTING": existing})
    posted = state / "posted.json"
    return result, json.loads(posted.read_text()) if posted.exists() else None


def test_the_first_report_posts_a_comment(runner: Runner) -> None:
    result, posted = post_comment(runner, MARKER + "\n## Agent session report\n")
    assert result.returncode == 0, result.stderr
    assert posted == {"method": "POST", "path": "repos/o/r/issues/42/comments",
                      "body": MARKER + "\n## Agent session report\n"}


def test_a_later_report_updates_the_same_comment(runner: Runner) -> None:
    result, posted = post_comment(runner, MARKER + "\nnew\n", existing="555")
    assert result.returncode == 0, result.stderr
    assert posted == {"method": "PATCH", "path": "repos/o/r/issues/comments/555",
                      "body": MARKER + "\nnew\n"}


def test_the_comment_always_starts_with_the_marker_and_fits(runner: Runner) -> None:
    result, posted = post_comment(runner, "no marker\n" + "é" * 100_000)
    assert result.returncode == 0, result.stderr
    assert posted is not None
    assert posted["body"].startswith(MARKER + "\nno marker\n")
    assert len(posted["body"]) <= 65_536 and "cut to fit a comment" in posted["body"]


def test_a_forged_pull_request_number_gets_no_comment(runner: Runner) -> None:
    result, posted = post_comment(runner, MARKER + "\nx\n", pr_number="41", head="other-sha")
    assert result.returncode == 0 and posted is None
    assert "not commenting" in result.stdout


def test_no_artifact_no_comment(runner: Runner) -> None:
    result, posted = post_comment(runner, None)
    assert result.returncode == 0 and posted is None and "nothing to post" in result.stdout


def test_a_number_that_is_not_one_is_an_error(runner: Runner) -> None:
    result, posted = post_comment(runner, MARKER, pr_number="abc")
    assert result.returncode == 1 and posted is None
    assert "no pull-request number" in result.stdout
