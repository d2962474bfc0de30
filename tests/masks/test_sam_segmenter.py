"""SamSegmenter on a tiny random SAM: the real segment-anything loading, predictor and model code."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from segment_anything import SamPredictor
from segment_anything.build_sam import _build_sam
from segment_anything.modeling import Sam

from masks.segmentation.base import Click, SegmenterError
from masks.segmentation.sam import SamSegmenter, build_sam_model, check_sam_config
from tests.tiny_sam import build_tiny_sam_checkpoint


def make_frame(height: int = 288, width: int = 384, seed: int = 0) -> np.ndarray:
    """A uint8 RGB frame: a bright disc on textured background."""
    rng = np.random.default_rng(seed)
    frame = rng.integers(0, 80, (height, width, 3), dtype=np.uint8)
    rows, cols = np.mgrid[:height, :width]
    disc = (rows - height / 2) ** 2 + (cols - width / 2) ** 2 < (min(height, width) / 4) ** 2
    frame[disc] = (220, 120, 90)
    return frame


def count_encoder_runs(segmenter: SamSegmenter) -> list[int]:
    """A list that grows by one each time the real image encoder module runs."""
    runs: list[int] = []
    segmenter.model.image_encoder.register_forward_hook(lambda *args: runs.append(1))
    return runs


@pytest.fixture(autouse=True)
def one_torch_thread():
    """The tiny model gains nothing from threads, which thrash when other processes share the CPU."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def segmenter(tiny_sam_checkpoint) -> SamSegmenter:
    return SamSegmenter(tiny_sam_checkpoint, device="cpu")


@pytest.fixture
def predict_calls(monkeypatch) -> list[dict]:
    """The keyword arguments and results of every ``SamPredictor.predict`` call; the real method runs."""
    calls: list[dict] = []
    real_predict = SamPredictor.predict

    def spy(self, *args, **kwargs):
        assert not args, "SamSegmenter passes prompts by keyword"
        result = real_predict(self, **kwargs)
        calls.append({**kwargs, "result": result})
        return result

    monkeypatch.setattr(SamPredictor, "predict", spy)
    return calls


# --- loading ---


def test_loads_the_checkpoint_weights_into_a_segment_anything_model(tiny_sam_checkpoint):
    segmenter = SamSegmenter(tiny_sam_checkpoint, device="cpu")

    assert isinstance(segmenter.model, Sam)
    assert segmenter.model.image_encoder.patch_embed.proj.out_channels == 32
    saved = torch.load(tiny_sam_checkpoint, weights_only=True)["state_dict"]
    for name, tensor in segmenter.model.state_dict().items():
        assert torch.equal(tensor, saved[name]), name
    assert re.fullmatch(r"sam-vit_b-[0-9a-f]{8}", segmenter.name)


def test_name_identifies_the_checkpoint(tiny_sam_checkpoint, tmp_path):
    other = build_tiny_sam_checkpoint(tmp_path / "other.pth", seed=1)

    assert SamSegmenter(tiny_sam_checkpoint).name == SamSegmenter(tiny_sam_checkpoint).name
    assert SamSegmenter(other).name != SamSegmenter(tiny_sam_checkpoint).name


def test_build_sam_model_has_segment_anything_layout():
    sizes = {"encoder_embed_dim": 32, "encoder_depth": 1, "encoder_num_heads": 2, "encoder_global_attn_indexes": [0]}

    ours = build_sam_model(**sizes).state_dict()
    theirs = _build_sam(**sizes).state_dict()

    assert {name: t.shape for name, t in ours.items()} == {name: t.shape for name, t in theirs.items()}


# --- masks ---


@pytest.mark.parametrize("height, width", [(288, 384), (287, 383), (500, 120)])
def test_segment_returns_a_mask_of_the_frame_size(segmenter, height, width):
    result = segmenter.segment(make_frame(height, width), [Click(width / 2, height / 2, True)])

    assert result.mask.dtype == bool
    assert result.mask.shape == (height, width)
    assert 0.0 <= result.score <= 1.0
    assert result.logits.dtype == np.float32
    assert result.logits.shape == (1, 256, 256)


def test_single_click_asks_for_three_masks_and_keeps_the_best(segmenter, predict_calls):
    frame = make_frame()
    # Random weights: look for a click whose best candidate is not the first, so that taking the
    # first candidate would fail.
    for x in range(20, 380, 20):
        result = segmenter.segment(frame, [Click(float(x), 40.25, True)], image_key="frame-1")
        call = predict_calls[-1]
        masks, scores, low_res_logits = call["result"]
        if int(np.argmax(scores)) != 0:
            break
    else:
        pytest.fail("no click with a best candidate other than the first")

    np.testing.assert_array_equal(call["point_coords"], [[float(x), 40.25]])
    np.testing.assert_array_equal(call["point_labels"], [1])
    assert call["multimask_output"] is True
    assert call["mask_input"] is None and call["box"] is None
    best = int(np.argmax(scores))
    assert scores.shape == (3,)
    np.testing.assert_array_equal(result.mask, masks[best])
    assert result.score == pytest.approx(float(np.clip(scores[best], 0, 1)))
    np.testing.assert_array_equal(result.logits, low_res_logits[best : best + 1])


def test_later_clicks_send_all_points_and_the_previous_logits(segmenter, predict_calls):
    frame = make_frame()
    plus, minus = Click(192.0, 144.0, True), Click(10.5, 20.0, False)
    plus2 = Click(200.0, 150.0, True)

    first = segmenter.segment(frame, [plus], image_key="frame-1")
    # The web client is stateless: it sends all points and no logits.
    second = segmenter.segment(frame, [plus, minus], image_key="frame-1")

    call = predict_calls[-1]
    np.testing.assert_array_equal(call["point_coords"], [[192.0, 144.0], [10.5, 20.0]])
    np.testing.assert_array_equal(call["point_labels"], [1, 0])
    assert call["multimask_output"] is False
    np.testing.assert_array_equal(call["mask_input"], first.logits)
    assert second.mask.shape == frame.shape[:2]

    given = np.random.default_rng(0).normal(size=(1, 256, 256)).astype(np.float32)
    segmenter.segment(frame, [plus, minus, plus2], image_key="frame-1", previous_logits=given)
    np.testing.assert_array_equal(predict_calls[-1]["mask_input"], given)
    np.testing.assert_array_equal(predict_calls[-1]["point_labels"], [1, 0, 1])


def test_logits_are_reused_only_for_the_same_frame_and_points_plus_one(segmenter, predict_calls):
    frame = make_frame()
    plus, minus, other = Click(192.0, 144.0, True), Click(10.0, 20.0, False), Click(50.0, 60.0, True)
    segmenter.segment(frame, [plus], image_key="frame-1")

    segmenter.segment(frame, [other, minus], image_key="frame-1")
    assert predict_calls[-1]["mask_input"] is None
    segmenter.segment(frame, [plus, minus], image_key="frame-2")
    assert predict_calls[-1]["mask_input"] is None
    segmenter.segment(frame, [plus, minus])
    assert predict_calls[-1]["mask_input"] is None


def test_prior_becomes_a_box_prompt(segmenter, predict_calls):
    frame = make_frame()
    prior = np.zeros(frame.shape[:2], dtype=bool)
    prior[50:100, 100:200] = True

    segmenter.segment(frame, [Click(150.0, 75.0, True)], image_key="frame-1", prior=prior)
    np.testing.assert_array_equal(predict_calls[-1]["box"], [100, 50, 199, 99])
    assert predict_calls[-1]["multimask_output"] is False

    segmenter.segment(frame, [Click(150.0, 75.0, True)], image_key="frame-1", prior=np.zeros_like(prior))
    assert predict_calls[-1]["box"] is None


# --- embedding caches ---


def test_the_encoder_runs_once_per_frame(segmenter):
    runs = count_encoder_runs(segmenter)
    frame = make_frame()

    segmenter.segment(frame, [Click(192.0, 144.0, True)], image_key="frame-1")
    segmenter.segment(frame, [Click(192.0, 144.0, True), Click(10.0, 10.0, False)], image_key="frame-1")
    assert segmenter.encoder_runs == 1 and len(runs) == 1

    segmenter.segment(make_frame(seed=1), [Click(192.0, 144.0, True)], image_key="frame-2")
    assert segmenter.encoder_runs == 2 and len(runs) == 2

    # Without a key nothing is cached.
    segmenter.segment(frame, [Click(192.0, 144.0, True)])
    segmenter.segment(frame, [Click(192.0, 144.0, True)])
    assert segmenter.encoder_runs == 4 and len(runs) == 4


def test_a_new_segmenter_reads_embeddings_from_disk(tiny_sam_checkpoint, tmp_path):
    frame = make_frame()
    click = [Click(192.0, 144.0, True)]
    first = SamSegmenter(tiny_sam_checkpoint, cache_dir=tmp_path).segment(frame, click, image_key="seq/3 frame:7")

    files = list((tmp_path / SamSegmenter(tiny_sam_checkpoint).fingerprint).iterdir())
    assert [f.suffix for f in files] == [".pt"] and files[0].name.startswith("seq_3_frame_7-")

    again = SamSegmenter(tiny_sam_checkpoint, cache_dir=tmp_path)
    runs = count_encoder_runs(again)
    assert again.has_embedding("seq/3 frame:7")
    second = again.segment(frame, click, image_key="seq/3 frame:7")

    assert again.encoder_runs == 0 and runs == []
    np.testing.assert_array_equal(second.mask, first.mask)
    np.testing.assert_allclose(second.logits, first.logits, rtol=1e-5, atol=1e-5)


def test_embeddings_are_kept_at_half_precision_without_moving_the_mask(tiny_sam_checkpoint, tmp_path):
    frame = make_frame(seed=3)
    segmenter = SamSegmenter(tiny_sam_checkpoint, cache_dir=tmp_path)
    clicks = [Click(150.0, 120.0, True), Click(260.0, 200.0, False)]
    ours = segmenter.segment(frame, clicks, image_key="frame-9")
    (stored,) = (tmp_path / segmenter.fingerprint).iterdir()
    features = torch.load(stored, weights_only=True)["features"]
    assert features.dtype == torch.float16

    # The same prompts through segment-anything's own predictor, at the encoder's full float32 precision.
    predictor = SamPredictor(segmenter._decoder.model)
    predictor.set_image(frame)
    assert predictor.features.dtype == torch.float32
    masks, _, logits = predictor.predict(point_coords=np.array([[150.0, 120.0], [260.0, 200.0]]),
                                         point_labels=np.array([1, 0]), multimask_output=False)
    union = np.logical_or(masks[0], ours.mask).sum()
    assert 0.05 < ours.mask.mean() < 0.95  # a mask with a boundary that could move
    assert union > 0 and np.logical_and(masks[0], ours.mask).sum() / union > 0.99
    np.testing.assert_allclose(ours.logits, logits, atol=0.05 * np.abs(logits).max())


def test_compute_embedding_precomputes_for_later_clicks(tiny_sam_checkpoint, tmp_path):
    segmenter = SamSegmenter(tiny_sam_checkpoint, cache_dir=tmp_path)
    frame = make_frame()
    assert not segmenter.has_embedding("frame-1")

    segmenter.compute_embedding(frame, "frame-1")
    segmenter.compute_embedding(frame, "frame-1")
    segmenter.segment(frame, [Click(192.0, 144.0, True)], image_key="frame-1")

    assert segmenter.has_embedding("frame-1")
    assert segmenter.encoder_runs == 1


def test_memory_cache_keeps_the_most_recently_used_frames(tiny_sam_checkpoint):
    segmenter = SamSegmenter(tiny_sam_checkpoint, memory_cache_size=2)
    click = [Click(100.0, 100.0, True)]
    frames = {key: make_frame(seed=seed) for seed, key in enumerate("abcd")}

    for key in "abc":
        segmenter.segment(frames[key], click, image_key=key)
    assert [segmenter.has_embedding(key) for key in "abc"] == [False, True, True]

    segmenter.segment(frames["b"], click, image_key="b")
    segmenter.segment(frames["d"], click, image_key="d")
    assert [segmenter.has_embedding(key) for key in "bcd"] == [True, False, True]
    assert segmenter.encoder_runs == 4

    segmenter.segment(frames["a"], click, image_key="a")
    assert segmenter.encoder_runs == 5


def test_a_key_reused_for_a_frame_of_another_size_is_recomputed(segmenter):
    segmenter.segment(make_frame(288, 384), [Click(10.0, 10.0, True)], image_key="frame-1")
    result = segmenter.segment(make_frame(287, 383), [Click(10.0, 10.0, True)], image_key="frame-1")

    assert result.mask.shape == (287, 383)
    assert segmenter.encoder_runs == 2


# --- misconfiguration ---


def test_check_sam_config_accepts_a_good_configuration(tiny_sam_checkpoint):
    assert check_sam_config(tiny_sam_checkpoint, "vit_b") is None


@pytest.mark.parametrize(
    "make_checkpoint, model_type, message",
    [
        (lambda folder: folder / "missing.pth", "vit_b", "SAM checkpoint not found"),
        (lambda folder: folder, "vit_b", "SAM checkpoint is not a file"),
        (lambda folder: write(folder / "notes.pth", b"not a checkpoint"), "vit_b", "not a PyTorch checkpoint file"),
        (lambda folder: write(folder / "empty.pth", b""), "vit_b", "not a PyTorch checkpoint file"),
        (lambda folder: folder / "missing.pth", "vit_x", "unknown SAM model type 'vit_x'; valid types: default, vit_b"),
    ],
)
def test_misconfiguration_is_reported_by_check_and_constructor(tmp_path, make_checkpoint, model_type, message):
    checkpoint = make_checkpoint(tmp_path)

    assert message in check_sam_config(checkpoint, model_type)
    with pytest.raises(SegmenterError, match=re.escape(message)) as error:
        SamSegmenter(checkpoint, model_type=model_type)
    assert "\n" not in str(error.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_checkpoint_is_reported(tiny_sam_checkpoint, tmp_path):
    checkpoint = write(tmp_path / "locked.pth", tiny_sam_checkpoint.read_bytes())
    checkpoint.chmod(0)

    assert "SAM checkpoint is not readable" in check_sam_config(checkpoint, "vit_b")


def test_damaged_checkpoint_is_reported(tiny_sam_checkpoint, tmp_path):
    checkpoint = write(tmp_path / "truncated.pth", tiny_sam_checkpoint.read_bytes()[:4096])

    with pytest.raises(SegmenterError, match="is not a valid PyTorch checkpoint") as error:
        SamSegmenter(checkpoint)
    assert "\n" not in str(error.value)


def test_checkpoint_of_another_model_type_is_reported(tiny_sam_checkpoint):
    with pytest.raises(SegmenterError, match="is for model type 'vit_b', not 'vit_l'"):
        SamSegmenter(tiny_sam_checkpoint, model_type="vit_l")


def test_state_dict_that_does_not_fit_the_registry_model_is_reported(tiny_sam_checkpoint, tmp_path):
    # A plain state dict goes through sam_model_registry, which builds a full-size ViT-B.
    plain = tmp_path / "plain.pth"
    torch.save(torch.load(tiny_sam_checkpoint, weights_only=True)["state_dict"], plain)

    message = r"does not match model type 'vit_b': \d+ weights of another shape"
    with pytest.raises(SegmenterError, match=message) as error:
        SamSegmenter(plain, model_type="vit_b")
    assert "\n" not in str(error.value)


def test_checkpoint_without_a_state_dict_is_reported(tmp_path):
    checkpoint = tmp_path / "tensor.pth"
    torch.save(torch.zeros(3), checkpoint)

    with pytest.raises(SegmenterError, match="does not hold a SAM state dict"):
        SamSegmenter(checkpoint)


def write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path
