"""Figure helpers draw labelled figures from tidy frames; saving is atomic; style is scoped."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")

import matplotlib as mpl  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex, to_rgba  # noqa: E402

from morelib import plots  # noqa: E402
from morelib.plots import save as save_module  # noqa: E402

SOURCES = ["helpful", "harmless", "oasst1"]
SCHEMES = ["Top", "MultiTask", "MORE"]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def margins():
    rng = np.random.default_rng(0)
    rms = ["Raw", "RM_Helpful", "RM_Harmless"]
    return pd.DataFrame({"rm": np.repeat(rms, 120), "test": np.tile(np.repeat(SOURCES[:2], 60), 3),
                         "margin": rng.normal(0.3, 1.0, 360)})


def labelled(ax):
    assert ax.get_xlabel() and ax.get_ylabel(), "axis labels missing"
    return True


def legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


# --- tables ------------------------------------------------------------------------------------

def test_accuracy_heatmap_tidy_and_wide():
    rows = [{"train": a, "test": b, "accuracy": 0.7 if a == b else 0.5} for a in SOURCES
            for b in SOURCES]
    fig = plots.accuracy_heatmap(pd.DataFrame(rows))
    ax = fig.axes[0]
    assert labelled(ax) and ax.get_title()
    assert [t.get_text() for t in ax.get_xticklabels()] == SOURCES
    assert sorted(t.get_text() for t in ax.texts) == ["50.0"] * 6 + ["70.0"] * 3
    assert len([p for p in ax.patches if not p.get_fill()]) == 3  # in-domain cells outlined
    assert fig.axes[1].get_ylabel() == "accuracy (%)"  # the colour bar
    wide = pd.DataFrame(np.full((2, 3), 62.5), index=["raw", "helpful"], columns=SOURCES)
    ax = plots.accuracy_heatmap(wide, percent=False).axes[0]
    assert {t.get_text() for t in ax.texts} == {"62.5"}


def test_accuracy_heatmap_refuses_percent_twice():
    with pytest.raises(ValueError, match="percent=False"):
        plots.accuracy_heatmap(pd.DataFrame({"train": ["a"], "test": ["a"], "accuracy": [67.0]}))


def test_cosine_heatmap_and_matrix_from_history():
    history = pd.DataFrame({"step": [1, 2], "cosine/helpful~harmless": [0.1, 0.3],
                            "cosine/helpful~oasst1": [-0.5, -0.7],
                            "cosine/harmless~oasst1": [0.0, 0.2]})
    matrix = plots.cosine_matrix(history)
    assert list(matrix.index) == SOURCES and np.allclose(matrix, matrix.T)
    assert matrix.loc["oasst1", "helpful"] == pytest.approx(-0.6)
    fig = plots.cosine_heatmap(matrix)
    assert labelled(fig.axes[0]) and len(fig.axes[0].texts) == 6  # the 1.0 diagonal is blank
    assert "1.00" not in [t.get_text() for t in fig.axes[0].texts]
    fig = plots.cosine_heatmap(np.eye(2), ["a", "b"], title="λ cosines")
    assert fig.axes[0].get_title() == "λ cosines"
    with pytest.raises(ValueError, match="cosine/"):
        plots.cosine_matrix(history[["step"]])


def bar_table():
    rows = [{"source": s, "scheme": m, "metric": "accuracy", "value": 0.5 + 0.05 * i + 0.01 * j}
            for i, s in enumerate(SOURCES) for j, m in enumerate(SCHEMES)]
    frame = pd.DataFrame(rows[:-1])  # MORE on oasst1 missing: a gap
    return frame.assign(lower=frame.value - 0.02, upper=frame.value + 0.03)


def test_grouped_bars_with_intervals_gaps_and_reference():
    fig = plots.grouped_bars(bar_table(), lower="lower", upper="upper", percent=True,
                             reference=0.5, reference_label="chance")
    ax = fig.axes[0]
    assert labelled(ax) and ax.get_ylabel() == "accuracy (%)" and ax.get_title()
    assert len(ax.patches) == 8
    assert legend_texts(ax) == ["chance", *SCHEMES]
    top = [c for c in ax.containers if c.get_label() == "Top"][0]
    assert [round(p.get_height(), 6) for p in top.patches] == [50.0, 55.0, 60.0]
    assert to_hex(top.patches[0].get_facecolor()) == plots.color_for("Top").lower()
    intervals = [c for c in ax.collections if isinstance(c, mpl.collections.LineCollection)]
    segments = intervals[0].get_segments()
    assert np.allclose([s[:, 1] for s in segments][0], [48.0, 53.0])
    assert any(line.get_linestyle() == "--" for line in ax.lines)


def test_grouped_bars_names_missing_columns():
    with pytest.raises(ValueError, match=r"missing column\(s\) \['ci_low'\]"):
        plots.grouped_bars(bar_table(), lower="ci_low", upper="upper")


def k_table():
    rows = [{"k": k, "scheme": s, "ece": e, "seed": seed}
            for k in (2, 3, 4, 5) for s, e in (("MORE", 0.05 - 0.004 * k), ("MultiTask", 0.05))
            for seed in (0, 1)]
    rows += [{"k": None, "scheme": "Top", "ece": v, "seed": 0} for v in (0.03, 0.04)]
    return pd.DataFrame(rows)


def test_metric_vs_k_lines_and_dashed_top_reference():
    fig = plots.metric_vs_k(k_table())
    ax = fig.axes[0]
    assert labelled(ax) and ax.get_ylabel() == "ECE" and ax.get_title()
    assert len(ax.lines) == 3
    dashed = [line for line in ax.lines if line.get_linestyle() == "--"]
    assert len(dashed) == 1 and dashed[0].get_ydata()[0] == pytest.approx(0.035)
    assert list(ax.get_xticks()) == [2, 3, 4, 5]
    more = [line for line in ax.lines if line.get_label() == "MORE"][0]
    assert np.allclose(more.get_ydata(), [0.042, 0.038, 0.034, 0.030])
    assert legend_texts(ax) == ["MORE", "MultiTask", "Top (0.0350)"]


def test_metric_vs_k_bands_and_explicit_reference():
    table = k_table().query("scheme != 'Top'").assign(lo=lambda t: t.ece - 0.01,
                                                      hi=lambda t: t.ece + 0.01)
    ax = plots.metric_vs_k(table, lower="lo", upper="hi", reference_value=0.02).axes[0]
    assert len(ax.collections) == 2 and len(ax.lines) == 3



def _sweep_rows(models=("small", "big")):
    rows = []
    for i, model in enumerate(models):
        for scheme, values in (("MORE", [.08, .06, .05]), ("MultiTask", [.07, .08, .09])):
            rows += [{"model": model, "k": k, "n_train": 8, "scheme": scheme, "metric": "ece",
                      "value": v + i / 100, "low": v - .01, "high": v + .01}
                     for k, v in zip([2, 3, 5], values)]
        rows += [{"model": model, "k": k, "n_train": 8, "scheme": "Top", "metric": "ece",
                  "value": v, "low": v, "high": v} for k, v in ((5, .04 + i / 100), (2, .5))]
    return pd.DataFrame(rows)


def test_metric_vs_k_panels_one_per_model_top_from_the_largest_k():
    fig = plots.metric_vs_k_panels(_sweep_rows(), ["big", "small"], labels={"big": "big (2M)"},
                                   ylabel="ECE on H&H", title="Figure 6")
    assert [ax.get_title() for ax in fig.axes] == ["big (2M)", "small"]
    assert fig.get_suptitle() == "Figure 6"
    for ax, top in zip(fig.axes, (0.05, 0.04)):  # Top's K=2 row (0.5) is not the reference
        assert ax.get_ylabel() == "ECE on H&H" and len(ax.collections) == 2
        assert legend_texts(ax)[-1] == f"Top ({top:.4f})"
        assert "95 % bootstrap CI" in ax.get_legend().get_title().get_text()


def test_metrics_vs_train_size_lines_per_model_and_scheme():
    rows = pd.concat([_sweep_rows().query("k == 5 and scheme != 'Top'").assign(n_train=n)
                      for n in (12, 24, 48)])
    rows = pd.concat([rows, rows.assign(metric="accuracy", value=lambda t: 0.5 + t.value)])
    fig = plots.metrics_vs_train_size(rows, ["small", "big"], metrics=["accuracy", "ece"],
                                      ylabel="{metric} on H&H", title="sizes")
    left, right = fig.axes
    assert [left.get_ylabel(), right.get_ylabel()] == ["accuracy on H&H", "ece on H&H"]
    assert left.get_xscale() == "log" and list(left.get_xticks()) == [12, 24, 48]
    lines = {line.get_label(): line for line in right.lines if not line.get_label()[0] == "_"}
    assert set(lines) == {"small · MORE", "small · MultiTask", "big · MORE", "big · MultiTask"}
    assert lines["big · MORE"].get_alpha() > lines["small · MORE"].get_alpha()
    assert lines["big · MultiTask"].get_linestyle() == "--"
    assert left.get_legend() is None and "95 % bootstrap CI" in \
        right.get_legend().get_title().get_text()


# --- margins -----------------------------------------------------------------------------------

def test_margin_histograms_single_and_faceted(margins):
    ax = plots.margin_histograms(margins).axes[0]
    assert labelled(ax) and ax.get_title()
    assert legend_texts(ax) == ["Raw", "RM_Helpful", "RM_Harmless"]
    assert any(np.allclose(line.get_xdata(), 0) for line in ax.lines)
    fig = plots.margin_histograms(margins, col="test")
    assert len(fig.axes) == 2 and fig.get_suptitle()
    assert [a.get_title() for a in fig.axes] == ["test: helpful", "test: harmless"]
    assert all(labelled(a) for a in fig.axes)
    assert fig.axes[0].get_legend() is None and fig.axes[1].get_legend() is not None


def test_margin_boxplots_solid_correct_hollow_incorrect(margins):
    margins = pd.concat([margins, pd.DataFrame({"rm": ["MORE"] * 3, "test": "helpful",
                                                "margin": [0.5, 1.0, 2.0]})])
    ax = plots.margin_boxplots(margins).axes[0]
    assert labelled(ax) and ax.get_title()
    assert len(ax.patches) == 7  # two boxes per RM, MORE has no incorrect pair
    solid = [p for p in ax.patches if to_rgba(p.get_facecolor())[3] > 0]
    hollow = [p for p in ax.patches if to_rgba(p.get_facecolor())[3] == 0]
    assert (len(solid), len(hollow)) == (4, 3)
    assert to_hex(solid[1].get_facecolor()) == plots.color_for("helpful").lower()
    assert legend_texts(ax) == ["correct (Δr > 0)", "incorrect (Δr ≤ 0)"]
    fig = plots.margin_boxplots(margins, col="test", col_wrap=1)
    assert len(fig.axes) == 2 and fig.get_suptitle()
    with pytest.raises(ValueError, match="not both"):
        plots.margin_boxplots(margins, col="test", ax=ax)


# --- training and calibration ------------------------------------------------------------------

def test_lambda_over_training_wide_tidy_and_stacked():
    steps = np.repeat(np.arange(10), 2)  # two micro-batches per step
    wide = pd.DataFrame({"step": steps, "lambda/helpful": np.linspace(0.2, 0.8, 20),
                         "lambda/harmless": np.linspace(0.8, 0.2, 20), "loss/helpful": 1.0})
    ax = plots.lambda_over_training(wide).axes[0]
    assert labelled(ax) and ax.get_title()
    assert len(ax.lines) == 3 and legend_texts(ax)[:2] == ["helpful", "harmless"]
    assert ax.lines[2].get_ydata()[0] == pytest.approx(0.5)  # uniform = Σλ / K
    tidy = wide.melt("step", ["lambda/helpful", "lambda/harmless"], "source", "lambda")
    tidy["source"] = tidy["source"].str.removeprefix("lambda/")
    again = plots.lambda_over_training(tidy).axes[0]
    assert np.allclose(again.lines[0].get_ydata(), ax.lines[0].get_ydata())
    assert len(ax.lines[0].get_xdata()) == 10
    smooth = plots.lambda_over_training(wide, window=3).axes[0]
    assert np.ptp(smooth.lines[0].get_ydata()) < np.ptp(ax.lines[0].get_ydata())
    stacked = plots.lambda_over_training(wide, stacked=True).axes[0]
    assert len(stacked.collections) == 2 and stacked.get_ylim() == (0, 1)


def test_reliability_diagrams_one_panel_per_rm(margins):
    margins = margins.assign(label=(margins.index % 3 > 0).astype(int))
    fig = plots.reliability_diagrams(margins, label="label", n_bins=5)
    assert [a.get_title() for a in fig.axes] == ["Raw", "RM_Helpful", "RM_Harmless"]
    assert all(labelled(a) and "ECE" in legend_texts(a)[0] for a in fig.axes)
    assert fig.get_suptitle()


# --- saving and style --------------------------------------------------------------------------

def simple_figure():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    ax.set_title("t")
    return fig


def test_save_figure_writes_atomically_and_closes(tmp_path):
    fig = simple_figure()
    paths = plots.save_figure(fig, tmp_path / "sub" / "fig.v1.png", numbers={"ece": 0.03})
    assert [p.name for p in paths] == ["fig.v1.png", "fig.v1.pdf", "fig.v1.json"]
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and paths[0].stat().st_size > 1000
    assert paths[1].read_bytes()[:5] == b"%PDF-"
    assert json.loads(paths[2].read_text()) == {"ece": 0.03}
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == sorted(p.name for p in paths)
    assert not plt.fignum_exists(fig.number)


def test_save_figure_is_deterministic_and_can_keep_the_figure(tmp_path):
    fig = simple_figure()
    first = [p.read_bytes() for p in plots.save_figure(fig, tmp_path / "a", close=False)]
    assert plt.fignum_exists(fig.number)
    paths = plots.save_figure(fig, tmp_path / "b", formats=["png", "pdf"])
    second = [p.read_bytes() for p in paths]
    assert first == second


def test_save_figure_writes_nothing_when_a_format_fails(tmp_path):
    (tmp_path / "fig.png").write_bytes(b"old")
    with pytest.raises(ValueError):
        plots.save_figure(simple_figure(), tmp_path / "fig", formats=("png", "bogus"))
    assert [p.name for p in tmp_path.iterdir()] == ["fig.png"]
    assert (tmp_path / "fig.png").read_bytes() == b"old"


def test_save_figure_shows_inline_in_a_kernel(tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(save_module, "_show_inline", lambda png, dpi: shown.append(png[:4]))
    plots.save_figure(simple_figure(), tmp_path / "a")
    assert shown == []  # not in a kernel
    monkeypatch.setattr(save_module, "in_kernel", lambda: True)
    plots.save_figure(simple_figure(), tmp_path / "b", formats=("pdf",))
    plots.save_figure(simple_figure(), tmp_path / "c", close=False)  # inline shows it anyway
    assert shown == [b"\x89PNG"]


def test_style_is_scoped_and_helpers_leave_rcparams_alone(margins):
    before = dict(mpl.rcParams)
    with plots.use_style():
        assert mpl.rcParams["axes.spines.right"] is False and mpl.rcParams["axes.grid"]
        assert mpl.rcParams["pdf.fonttype"] == 42
    plots.margin_boxplots(margins)
    plots.metric_vs_k(k_table())
    assert dict(mpl.rcParams) == before
    assert plots.STYLE_PATH.name == "morelib.mplstyle" and plots.STYLE_PATH.is_file()


def test_colours_fixed_distinct_and_loosely_matched():
    schemes = ["Raw", "Top", "Averaging", "MultiTask", "MORE", "temperature-scaled"]
    sources = ["helpful", "harmless", "oasst1", "webgpt", "summarize"]
    colours = [plots.color_for(n) for n in schemes + sources[:]]
    assert len(set(colours)) == len(colours)
    assert plots.color_for("RM_Summ.") == plots.color_for("summarize")
    assert plots.color_for("Single") == plots.color_for("Top")
    assert plots.color_for("unknown-rm") == plots.color_for("Unknown_RM")
    assert list(plots.palette(["MORE", "Top", "MORE"])) == ["MORE", "Top"]


def test_grouped_bars_draw_intervals_that_exclude_the_point_estimate():
    import matplotlib
    matplotlib.use("Agg")
    import pandas as pd
    from morelib.plots import grouped_bars
    table = pd.DataFrame({"source": ["a", "b"], "scheme": ["MORE", "MORE"],
                          "value": [0.02, 0.05], "lo": [0.03, 0.04], "hi": [0.06, 0.07]})
    fig = grouped_bars(table, lower="lo", upper="hi")  # a: estimate below its interval
    ax = fig.axes[0]
    segments = ax.collections[-1].get_segments()
    assert [tuple(s[:, 1]) for s in segments] == [(0.03, 0.06), (0.04, 0.07)]


def test_figure7_draws_without_warnings():
    """Constrained layout (the style's) is the only layout engine: no tight_layout warning."""
    import warnings

    from morelib.plots.rjs import figure7

    p = pd.DataFrame({"judge": "j", "policy": ["a", "b"], "ece": [0.01, 0.02],
                      "win_half_tie": [0.6, 0.4], "win_half_tie_low": [0.5, 0.3],
                      "win_half_tie_high": [0.7, 0.5]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = figure7(p, {"j": {"spearman": float("nan"), "note": "2 RMs"}}, title="Figure 7")
        fig.canvas.draw()
    plt.close(fig)
