"""Training on generated data: the loss falls, and the trained network beats the untrained one on unseen frames."""

from __future__ import annotations

import numpy as np
import pytest

from training.inference import TrainedNetwork
from training.trainer import Sample, TrainConfig, choose_threads, mean_dice, train
from vision.metrics import dice


def test_dice_and_its_average_per_sequence():
    a = np.zeros((4, 4), bool)
    b = a.copy()
    assert dice(a, b) == 1.0  # both empty
    a[:2] = True
    b[1:3] = True
    assert dice(a, b) == pytest.approx(0.5)
    assert mean_dice([1.0, 0.0, 0.0, 0.5], ["x", "x", "x", "y"]) == pytest.approx((1 / 3 + 0.5) / 2)


def test_threads_follow_the_load():
    assert choose_threads(3) == 3
    assert choose_threads(0, cpus=2, load=0.3) == 2
    assert choose_threads(0, cpus=2, load=7.9) == 1


def test_short_training_lowers_the_loss_and_beats_an_untrained_network(short_run):
    result, epochs = short_run
    assert [m.epoch for m in epochs] == list(range(1, 13)) and result.stopped_by == "epochs"
    assert np.mean([m.train_loss for m in epochs[-3:]]) < 0.8 * np.mean([m.train_loss for m in epochs[:2]])
    assert result.best_val_dice > result.initial_val_dice + 0.2
    assert result.best_val_dice == max(m.val_dice for m in epochs)
    assert result.checkpoint.metrics["best_epoch"] == result.best_epoch


def test_segmenter_predicts_probability_maps_at_the_frame_size(short_run, lesion_data):
    segmenter = TrainedNetwork(short_run[0].checkpoint)
    sample = lesion_data[1][0]
    prediction = segmenter.predict(sample.image)
    assert list(prediction.masks) == ["Polyp"] and prediction.findings == {}
    probability = prediction.masks["Polyp"]
    assert probability.dtype == np.float32 and probability.shape == sample.image.shape[:2]
    assert 0 <= probability.min() and probability.max() <= 1
    assert dice(prediction.binary()["Polyp"], sample.masks[0]) > 0.3
    larger = np.ascontiguousarray(np.repeat(np.repeat(sample.image, 2, 0), 2, 1))  # any frame size works
    assert segmenter.predict(larger).masks["Polyp"].shape == larger.shape[:2]
    with pytest.raises(ValueError, match="uint8"):
        segmenter.predict(sample.image.astype(np.float32))


def test_test_time_flips_make_the_prediction_mirror_with_the_frame(short_run, lesion_data):
    sample = lesion_data[1][2]
    mirrored = np.ascontiguousarray(sample.image[:, ::-1])
    plain, flipped = TrainedNetwork(short_run[0].checkpoint), TrainedNetwork(short_run[0].checkpoint, flips=True)
    # Averaged over the flips, the answer for a mirrored frame is the mirrored answer: a plain network's is not.
    assert np.allclose(flipped.predict(mirrored).masks["Polyp"][:, ::-1], flipped.predict(sample.image).masks["Polyp"],
                       atol=1e-4)
    assert not np.allclose(plain.predict(mirrored).masks["Polyp"][:, ::-1], plain.predict(sample.image).masks["Polyp"],
                           atol=1e-4)
    assert dice(flipped.predict(sample.image).binary()["Polyp"], sample.masks[0]) > 0.3


@pytest.mark.slow
def test_cancelling_from_the_epoch_callback_stops_training(lesion_data):
    train_samples, val_samples = lesion_data
    config = TrainConfig(epochs=50, batch_size=4, input_size=(64, 96), threads=1)
    result = train(train_samples=train_samples, val_samples=val_samples, class_names=["Polyp"], config=config,
                   on_epoch=lambda m: m.epoch < 2)
    assert result.stopped_by == "cancelled" and len(result.history) == 2


@pytest.mark.slow
def test_keep_last_keeps_the_last_epoch_and_validates_only_every_nth_and_the_last(lesion_data):
    train_samples, val_samples = lesion_data
    config = TrainConfig(epochs=5, batch_size=4, input_size=(64, 96), threads=1, keep="last", validate_every=2)
    result = train(train_samples=train_samples, val_samples=val_samples, class_names=["Polyp"], config=config)
    assert [m.val_dice is not None for m in result.history] == [False, True, False, True, True]
    assert result.best_epoch == 5 and result.best_val_dice == result.history[-1].val_dice


def test_initial_weights_are_loaded_where_shapes_match(short_run, lesion_data, tmp_path):
    short_run[0].checkpoint.save(tmp_path / "start.pt")
    train_samples, val_samples = (
        [Sample(s.image, np.concatenate([s.masks, np.zeros_like(s.masks)]), s.group) for s in samples]
        for samples in lesion_data
    )
    config = TrainConfig(epochs=1, batch_size=4, input_size=(64, 96), threads=1, init=str(tmp_path / "start.pt"),
                         learning_rate=1e-6, widths=(8, 16, 24, 32, 48), architecture="unet-lite")
    result = train(train_samples=train_samples, val_samples=val_samples, class_names=["Polyp", "Other"],
                   config=config)
    assert any("tensors loaded" in note for note in result.notes)
    # Two output channels now: only the 1×1 head keeps its random weights.
    assert any(note.startswith("kept random") and "head.bias, head.weight" in note for note in result.notes)
    with pytest.raises(ValueError, match="for 3 classes"):
        train(train_samples=train_samples, val_samples=[], class_names=["a", "b", "c"], config=config)
    # With one class every tensor fits: before its first step the network scores what the first run kept.
    result = train(train_samples=lesion_data[0], val_samples=lesion_data[1], class_names=["Polyp"], config=config)
    assert not any(note.startswith("kept random") for note in result.notes)
    assert result.initial_val_dice == pytest.approx(short_run[0].best_val_dice)


@pytest.mark.slow
def test_the_default_network_starts_from_imagenet_features_and_learns_the_lesions(lesion_data):
    """The default architecture is the U-Net on pretrained EfficientNet-Lite0: its encoder starts from the
    ImageNet weights (not noise), and a few epochs on generated frames are enough to find the lesions."""
    from backbone import efficientnet
    from training.network import PRETRAINED

    train_samples, val_samples = lesion_data
    config = TrainConfig(epochs=10, batch_size=4, input_size=(64, 96), threads=1, seed=2, ema_decay=0.8)
    assert config.architecture == PRETRAINED
    result = train(train_samples=train_samples, val_samples=val_samples, class_names=["Polyp"], config=config)
    assert result.checkpoint.network.architecture == PRETRAINED
    assert result.best_val_dice > max(0.6, result.initial_val_dice + 0.3)
    state = result.checkpoint.state_dict
    trained = {k.removeprefix("encoder."): v for k, v in state.items() if k.startswith("encoder.")}
    imagenet = efficientnet.imagenet_state_dict()
    stem = "conv_stem.weight"
    # trained at half the decoder's rate: moved, but still near its ImageNet start
    change = float((trained[stem] - imagenet[stem]).norm() / imagenet[stem].norm())
    assert 0 < change < 0.5


def test_roc_auc_and_f1_of_frame_findings():
    from training.recognition import f1_score, roc_auc

    labels = np.array([0, 0, 1, 1, 0, 1], bool)
    assert roc_auc(np.array([0.1, 0.2, 0.8, 0.9, 0.3, 0.7]), labels) == 1.0
    assert roc_auc(np.array([0.9, 0.8, 0.1, 0.2, 0.7, 0.3]), labels) == 0.0
    assert roc_auc(np.full(6, 0.5), labels) == 0.5  # ties count half
    assert roc_auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1], bool)) == 0.75
    assert roc_auc(np.array([0.1, 0.2]), np.array([1, 1], bool)) is None
    assert f1_score(np.array([1, 1, 0, 0], bool), np.array([1, 0, 1, 0], bool)) == 0.5
