"""The network's shapes, its optional classification head, and checkpoints that restore it exactly."""

import pytest
import torch

from training.network import Checkpoint, NetworkConfig, build_network, normalise


def test_outputs_one_channel_per_class_at_the_input_size():
    network = build_network(NetworkConfig(classes=3)).eval()
    out = network(torch.zeros(2, 3, 64, 96))
    assert out["masks"].shape == (2, 3, 64, 96) and "findings" not in out


def test_classification_head_when_there_are_findings():
    out = build_network(NetworkConfig(classes=1, findings=4)).eval()(torch.zeros(1, 3, 64, 64))
    assert out["findings"].shape == (1, 4)


def test_normalise_maps_uint8_to_standardised_floats():
    images = torch.full((1, 3, 2, 2), 255, dtype=torch.uint8)
    assert normalise(images).dtype == torch.float32 and normalise(images)[0, 0, 0, 0] == pytest.approx(2.2489, 1e-3)


def test_checkpoint_round_trip(tmp_path):
    network = build_network(NetworkConfig(classes=2, findings=1)).eval()
    Checkpoint(network.config, network.state_dict(), ["Polyp", "Ulcer"], ["Blur"], (64, 96)).save(tmp_path / "m.pt")
    loaded = Checkpoint.load(tmp_path / "m.pt")
    assert loaded.class_names == ["Polyp", "Ulcer"] and loaded.finding_names == ["Blur"]
    assert loaded.input_size == (64, 96)
    again = build_network(loaded.network).eval()
    again.load_state_dict(loaded.state_dict)
    x = torch.randn(1, 3, 64, 96)
    assert torch.equal(network(x)["masks"], again(x)["masks"])


def test_loading_something_else_is_a_clear_error(tmp_path):
    torch.save({"weights": 1}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a checkpoint of this project"):
        Checkpoint.load(tmp_path / "other.pt")


def test_the_default_is_the_pretrained_unet_and_old_checkpoints_stay_small_unets():
    from training.network import PRETRAINED, SMALL, PretrainedUNet

    assert NetworkConfig(classes=1).architecture == PRETRAINED
    assert isinstance(build_network(NetworkConfig(classes=1), pretrained=False), PretrainedUNet)
    # a checkpoint written before the pretrained default names no architecture: it was the small U-Net
    assert NetworkConfig.from_dict({"classes": 1, "widths": [8, 16, 24, 32, 48]}).architecture == SMALL
    with pytest.raises(ValueError, match="Unknown architecture"):
        NetworkConfig(classes=1, architecture="resnet")


def test_the_pretrained_unet_sees_imagenet_normalised_input_as_its_backbone_expects():
    """Both architectures take ImageNet-normalised input; the pretrained one converts it to the backbone's own
    normalisation, so its encoder sees exactly what backbone.efficientnet would give it."""
    from backbone import efficientnet

    network = build_network(NetworkConfig(classes=1)).eval()
    images = torch.randint(0, 256, (1, 3, 64, 96), dtype=torch.uint8)
    with torch.inference_mode():
        inside = network.encoder(normalise(images) * network.input_scale + network.input_shift)
        direct = network.encoder(efficientnet.normalise(images))
    assert all(torch.allclose(a, b, atol=1e-4) for a, b in zip(inside, direct, strict=True))
