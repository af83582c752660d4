"""`aios check ...`: run governance checks from the command line and record them in the ledger.

Checks run in-process on the local workspace as `$AIOS_USER` or the OS account,
through the governed query path (masks and row filters apply). Like the other
in-process commands this is a convenience for one person, NOT a security
boundary. Exit 0 when every required check passes, 1 when one does not.
"""

from __future__ import annotations

import sys

import click

from aios_workbench.core.errors import UsageError
from aios_workbench.surfaces.cli.data_commands import JSON, local_service, local_user
from aios_workbench.surfaces.cli.model_hints import hint_missing_model
from aios_workbench.surfaces.cli.output import emit


@click.group()
def check():
    """Run governance checks: quality suites, drift, fairness, explain, monitors; results go to the ledger.
    `aios check history` reads the ledger back as you may see it."""


def _progress(suites):
    if not sys.stderr.isatty() or len(suites) < 2:
        return suites
    from tqdm import tqdm

    return tqdm(suites, desc="quality suites", unit="suite", file=sys.stderr, leave=False)


def _lines(report: dict) -> list[str]:
    lines = [f"{'suite':<28} {'rule':<44} {'status':<6} {'failing rows':>12}"]
    for r in report["results"]:
        flag = " (required)" if r["required"] else ""
        lines.append(f"{r['name']:<28} {'':<44} {r['status'].upper():<6}{flag}")
        if r["error"]:
            lines.append(f"  error: {r['error']}")
            continue
        for item in r["items"]:
            metrics = item["metrics"]
            failing = metrics.get("failing_rows")
            shown = f"{failing:,}" if failing is not None else (
                f"{metrics['age_hours']:.1f} h old" if metrics.get("age_hours") is not None else
                f"{metrics.get('rows', 0):,} rows")
            lines.append(f"{'':<28} {item['name'][:44]:<44} {item['status']:<6} {shown:>12}")
    verdict = "all required checks passed" if report["passed"] else "a required check failed"
    recorded = f"; recorded as ledger runs {', '.join(map(str, report['recorded']))}" if report["recorded"] else ""
    lines.append(f"{len(report['results'])} suite(s): {verdict}{recorded}")
    return lines


@check.command("quality")
@click.argument("suites", nargs=-1)
@click.option("--record/--no-record", default=True, show_default=True,
              help="Store the results in the governance ledger.")
@JSON
@click.pass_context
def quality(ctx, suites, record, as_json):
    """Run the quality SUITES of governance/checks.yaml (all when none are named).

    \b
    aios check quality
    aios check quality shipments_basics --json"""
    service = local_service(ctx)
    try:
        report = service.checks.quality(local_user(), suites, record=record, surface="cli", progress=_progress)
    finally:
        service.close()
    if not report["results"] and not as_json:   # one result per chosen suite
        click.echo("no quality suites: declare them in governance/checks.yaml (suites: {NAME: {dataset: ..., "
                   "rules: [...]}})", err=True)
    emit(report, as_json=as_json, human=_lines)
    if not report["passed"]:
        ctx.exit(1)


def _item_lines(result: dict) -> list[str]:
    lines = [f"{result['kind']} check {result['name']!r}: {result['status'].upper()}"]
    for item in result["items"]:
        stat = item["metrics"].get("statistic", item["metrics"].get("value", item["metrics"].get("importance_mean")))
        test = item["detail"].get("stattest") or item["detail"].get("test") or ""
        shown = f"{stat:.4g}" if isinstance(stat, (int, float)) else ""
        lines.append(f"  {item['name']:<32} {item['status']:<6} {test:<22} {shown}")
    skipped = next((i["detail"].get("skipped") for i in result["items"] if i["name"] == "dataset drift"), None)
    if result["kind"] == "drift" and skipped:   # identifiers left out, and how to include them
        lines.append(f"  {skipped.replace('in the columns', 'in --columns')}")
    if result["kind"] == "drift" and result["status"] in ("fail", "warn"):   # why, when the dataset line passes
        drifted = [i["name"] for i in result["items"] if i["status"] == "fail" and i["name"] != "dataset drift"]
        if drifted:
            lines.append(f"  {result['status']}s: {', '.join(drifted)} drifted (any drifted column fails the check; "
                         "`dataset drift` says whether enough of them did)")
    return lines


def _finish(ctx, data: dict, *, as_json: bool) -> None:
    emit(data, as_json=as_json, human=_item_lines)
    if not data["passed"]:
        ctx.exit(1)


@check.command("drift")
@click.argument("reference")
@click.argument("current")
@click.option("--columns", help="Comma-separated columns to test (default: every comparable column).")
@click.option("--stattest", multiple=True, metavar="COLUMN=TEST[:THRESHOLD]",
              help="Override a column's test: ks, chisquare, z, wasserstein, jensenshannon, psi; THRESHOLD is a "
                   "p-value between 0 and 1 for ks, chisquare and z, a distance >= 0 for the others.")
@click.option("--name", help="Name of the check in the ledger (default: derived from the inputs).")
@click.option("--wasserstein", type=click.Choice(["exact", "histogram"]), default="exact", show_default=True,
              help="Wasserstein distances computed exactly, or estimated from histograms with their error bound "
                   "(faster on very large inputs).")
@click.option("--record/--no-record", default=True, show_default=True, help="Store the result in the ledger.")
@JSON
@click.pass_context
def drift_command(ctx, reference, current, columns, stattest, name, wasserstein, record, as_json):
    """Compare CURRENT with REFERENCE (dataset names or parenthesised SELECTs), column by column.

    Tests are chosen like Evidently's defaults; exit 1 when the dataset drifts.

    
    aios check drift "(SELECT * FROM shipments WHERE shipped_at < DATE '2025-07-01')" \
                     "(SELECT * FROM shipments WHERE shipped_at >= DATE '2026-01-01')" --columns delay_days,carrier"""
    # lazy: the service loads the check engines (NumPy, Arrow): not on the CLI's start path
    from aios_workbench.service.checks import threshold_problem

    overrides = {}
    for spec in stattest:
        column, sep, test = spec.partition("=")
        if not sep or not column or not test:
            raise UsageError(f"--stattest {spec!r} is not COLUMN=TEST[:THRESHOLD]", fix="e.g. --stattest delay_days=psi:0.2",
                             input=spec)
        test, _, threshold = test.partition(":")
        overrides[column] = {"stattest": test}
        if threshold:
            try:
                value = float(threshold)
            except ValueError:
                value = threshold
            problem = threshold_problem(test, value)
            if problem:
                raise UsageError(f"--stattest {spec!r}: the threshold {threshold!r} {problem}", input=spec,
                                 fix="write COLUMN=TEST[:THRESHOLD], THRESHOLD a p-value between 0 and 1 for ks, "
                                     "chisquare and z, else a distance >= 0; e.g. --stattest delay_days=psi:0.2")
            overrides[column]["threshold"] = value
    service = local_service(ctx)
    try:
        data = service.checks.drift(local_user(), reference, current,
                                    columns=[c.strip() for c in columns.split(",")] if columns else None,
                                    overrides=overrides or None, name=name, record=record, surface="cli",
                                    wasserstein=wasserstein)
    finally:
        service.close()
    _finish(ctx, data, as_json=as_json)


@check.command("fairness")
@click.argument("relation")
@click.option("--y-true", required=True, help="Column with the true labels.")
@click.option("--y-pred", required=True, help="Column with the predicted labels.")
@click.option("--sensitive", required=True, help="Sensitive column(s), comma-separated for intersectional groups.")
@click.option("--pos-label", default="1", show_default=True, help="The positive label (parsed as a number if it is one).")
@click.option("--threshold", multiple=True, metavar="METRIC=VALUE",
              help="e.g. demographic_parity_difference=0.1, demographic_parity_ratio=0.8.")
@click.option("--name", help="Name of the check in the ledger.")
@click.option("--record/--no-record", default=True, show_default=True, help="Store the result in the ledger.")
@JSON
@click.pass_context
def fairness_command(ctx, relation, y_true, y_pred, sensitive, pos_label, threshold, name, record, as_json):
    """Group fairness of a classifier's predictions in RELATION (a dataset or a parenthesised SELECT).

    Metrics follow fairlearn's definitions; exit 1 when a threshold is crossed."""
    thresholds = {}
    for spec in threshold:
        metric, sep, value = spec.partition("=")
        try:
            thresholds[metric] = float(value)
        except ValueError:
            raise UsageError(f"--threshold {spec!r} is not METRIC=NUMBER", fix="e.g. --threshold "
                             "demographic_parity_difference=0.1", input=spec) from None
        if not sep:
            raise UsageError(f"--threshold {spec!r} is not METRIC=NUMBER", fix="e.g. --threshold "
                             "demographic_parity_difference=0.1", input=spec)
    try:
        label = int(pos_label)
    except ValueError:
        label = pos_label
    service = local_service(ctx)
    try:
        data = service.checks.fairness(local_user(), relation, y_true=y_true, y_pred=y_pred,
                                       sensitive=[c.strip() for c in sensitive.split(",")],
                                       thresholds=thresholds or None, pos_label=label, name=name, record=record,
                                       surface="cli")
    finally:
        service.close()
    _finish(ctx, data, as_json=as_json)


@check.command("explain")
@click.argument("model_uri")
@click.argument("relation")
@click.option("--target", required=True, help="Column with the true values the model predicts.")
@click.option("--features", help="Comma-separated feature columns (default: the model's own, else all but --target).")
@click.option("--sample", type=click.IntRange(1), default=20_000, show_default=True,
              help="Rows sampled (reservoir, seeded) through the governed path.")
@click.option("--repeats", type=click.IntRange(1), default=5, show_default=True, help="Shuffles per feature.")
@click.option("--scoring", help="A scikit-learn scorer name, e.g. accuracy, r2 (default: the model's score).")
@click.option("--max-importance", multiple=True, metavar="FEATURE=VALUE",
              help="Fail when FEATURE's importance exceeds VALUE (e.g. a sensitive attribute).")
@click.option("--name", help="Name of the check in the ledger.")
@click.option("--record/--no-record", default=True, show_default=True, help="Store the result in the ledger.")
@JSON
@click.pass_context
def explain_command(ctx, model_uri, relation, target, features, sample, repeats, scoring, max_importance, name,
                    record, as_json):
    """Permutation feature importance of the MLflow model MODEL_URI on a governed sample of RELATION.

    The sample holds what you may read (masked features arrive masked). Exit 1 when a
    --max-importance is crossed.

    \b
    aios check explain models:/shipment-delay@champion --target late \
        "(SELECT lead_time_days, quantity, unit_price, size_band = 'small' AS small_supplier,
                 month(shipped_at) AS month, late_delivery::INTEGER AS late
          FROM shipments JOIN purchase_orders USING (po_id) JOIN suppliers USING (supplier_id)
          WHERE late_delivery IS NOT NULL)"

    The demo's shipment-delay model comes from notebooks/03_train_model.ipynb
    (`AIOS_USER=alice jupyter execute notebooks/03_train_model.ipynb`), approved and
    promoted by another user (`aios models approve|promote shipment-delay 1`)."""
    limits = {}
    for spec in max_importance:
        feature, sep, value = spec.partition("=")
        try:
            limits[feature] = float(value)
        except ValueError:
            sep = ""
        if not sep or not feature:
            raise UsageError(f"--max-importance {spec!r} is not FEATURE=NUMBER",
                             fix="e.g. --max-importance supplier_region=0.01", input=spec)
    service = local_service(ctx)
    try:
        with hint_missing_model(ctx, model_uri, versions=lambda model: service.models.versions(local_user(), model)):
            data = service.checks.explain_model(
                local_user(), model_uri, relation, target=target,
                features=[c.strip() for c in features.split(",")] if features else None, sample=sample,
                repeats=repeats, scoring=scoring, max_importance=limits or None, name=name, record=record,
                surface="cli")
    finally:
        service.close()
    _finish(ctx, data, as_json=as_json)


@check.command("monitor")
@click.argument("names", nargs=-1)
@JSON
@click.pass_context
def monitor_command(ctx, names, as_json):
    """Run the moving-window monitors NAMES of governance/checks.yaml (all when none are named).

    Each compares its newest window with its reference period (drift, in DuckDB), is recorded in the
    ledger as `monitor:NAME`, opens or resolves its alert, and starts the jobs it triggers on failure.
    Exit 1 when a monitor fails (severity fail) or errors.

    \b
    aios check monitor shipments_monthly_drift"""
    service = local_service(ctx)
    try:
        results = service.checks.monitors(local_user(), names)
    finally:
        service.close()

    def human(data):
        lines = []
        for r in data["results"]:
            lines += _item_lines(r)
            if r["status"] in ("fail", "error"):
                lines.append(f"  alert {r['name']} is open (`aios alerts ls`); jobs it triggers, if any, are queued")
        return lines or ["no monitors declared"]

    emit({"results": results}, as_json=as_json, human=human)
    if any(r["status"] in ("fail", "error") for r in results):
        ctx.exit(1)


def _history_lines(runs: list[dict]) -> list[str]:
    if not runs:
        return ["no check runs you may see (runs over datasets you may not read are not shown)"]
    lines = [f"{'id':>6}  {'at':<25} {'kind':<9} {'status':<6} {'user':<12} name"]
    for run in runs:
        lines.append(f"{run['id']:>6}  {run['at']:<25} {run['kind']:<9} {run['status'].upper():<6} "
                     f"{run['user'][:12]:<12} {run['name']}")
        if run["datasets"]:
            lines.append(f"{'':>8}datasets: {', '.join(run['datasets'])}")
        if run["withheld"]:
            lines.append(f"{'':>8}{run['withheld']}")
            continue
        for item in run["items"] or []:
            metrics = item.get("metrics") or {}
            shown = ", ".join(f"{k}={v}" for k, v in metrics.items() if isinstance(v, (int, float)))
            lines.append(f"{'':>8}{item['name'][:44]:<44} {item['status']:<6} {shown}")
    lines.append(f"older: aios check history --before-id {runs[-1]['id']}")
    return lines


@check.command("history")
@click.option("--dataset", help="Only runs that read this dataset (source.schema.dataset, or a name the catalog "
                                "resolves).")
@click.option("--name", help="Only runs of this check (a suite's name, monitor:NAME, ...).")
@click.option("--kind", help="Only runs of this kind: quality, drift, fairness, explain, monitor, ...")
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True, help="Runs to show.")
@click.option("--before-id", type=click.IntRange(1), default=None, help="Show runs older than this id (paging).")
@JSON
@click.pass_context
def history_command(ctx, dataset, name, kind, limit, before_id, as_json):
    """The governance ledger, newest first, as you may see it.

    Runs over datasets you may not read are left out; a run whose runner saw the data with other masks
    or another row filter than yours shows its verdicts only (no counts, statistics, labels or examples).

    \b
    aios check history --dataset hr.main.people
    aios check history --kind drift --limit 5 --json"""
    service = local_service(ctx)
    try:
        runs = service.checks.history(local_user(), dataset=dataset, name=name, kind=kind, limit=limit,
                                      before_id=before_id)
    finally:
        service.close()
    emit({"runs": runs} if as_json else runs, as_json=as_json, human=_history_lines)


COMMANDS = [check]
