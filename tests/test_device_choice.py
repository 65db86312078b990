"""The device selector: its Qt-free state (choices, CPU fallback, note) and the widget that draws it."""
import threading

import pytest

import engine.cuda
from engine.nonfinite import NonFiniteError
from viewmodel.device_choice import DeviceChoice, DeviceOption, device_options

WITH_GPU = [DeviceOption("cpu", "CPU", True), DeviceOption("cuda", "CUDA (Test GPU)", True)]
WITHOUT_GPU = [DeviceOption("cpu", "CPU", True),
               DeviceOption("cuda", "CUDA (not available: no driver here)", False)]


def test_the_gpu_entry_is_always_listed_and_says_why_it_is_disabled():
    cpu, gpu = device_options()
    assert (cpu.device, cpu.label, cpu.available) == ("cpu", "CPU", True)
    assert gpu.device == "cuda" and gpu.available == engine.cuda.is_available()
    if not gpu.available:
        assert gpu.label == f"CUDA (not available: {engine.cuda.unavailable_reason()})"


def test_a_disabled_device_is_refused_with_its_reason():
    choice = DeviceChoice(WITHOUT_GPU)
    with pytest.raises(ValueError, match="not available: no driver here"):
        choice.select("cuda")
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        choice.select("tpu")
    assert choice.selected == "cpu" and choice.status() == "Training on: CPU"


def test_run_trains_on_the_chosen_device():
    choice = DeviceChoice(WITH_GPU)
    choice.select("cuda")
    assert choice.run(lambda device: device) == "cuda"
    assert choice.in_use == "cuda" and choice.status() == "Training on: CUDA (Test GPU)"


def test_a_gpu_failure_falls_back_to_the_cpu_with_a_note():
    choice, seen, changes = DeviceChoice(WITH_GPU), [], []
    choice.events.changed.connect(lambda: changes.append(choice.in_use))
    choice.select("cuda")

    def train(device):
        seen.append(device)
        if device == "cuda":
            raise RuntimeError("CUDA_ERROR_LAUNCH_FAILED")
        return 42

    assert choice.run(train) == 42
    assert seen == ["cuda", "cpu"] and choice.selected == choice.in_use == "cpu"
    assert choice.status() == ("Training on: CPU. The GPU failed (RuntimeError: "
                               "CUDA_ERROR_LAUNCH_FAILED); training went on on the CPU.")
    assert changes[-1] == "cpu"
    choice.select("cuda")   # choosing again clears the note
    assert choice.note == ""


def test_model_errors_and_cpu_errors_are_not_the_gpus():
    choice = DeviceChoice(WITH_GPU)
    choice.select("cuda")
    with pytest.raises(NonFiniteError):
        choice.run(lambda device: (_ for _ in ()).throw(NonFiniteError(3, "LSTM", "the loss")))
    assert choice.selected == "cuda" and choice.note == ""
    with pytest.raises(ValueError, match="bad data"):
        DeviceChoice(WITH_GPU).run(lambda device: (_ for _ in ()).throw(ValueError("bad data")))


@pytest.mark.gui
def test_the_widget_disables_the_missing_gpu_and_shows_the_fallback(qtbot):
    from widgets.device_selector import DeviceSelector
    selector = DeviceSelector(DeviceChoice(WITHOUT_GPU))
    qtbot.addWidget(selector)
    assert [selector.box.itemText(i) for i in range(2)] == ["CPU", WITHOUT_GPU[1].label]
    assert not selector.box.model().item(1).isEnabled()
    assert selector.status.text() == "Training on: CPU" and selector.device == "cpu"

    selector = DeviceSelector(DeviceChoice(WITH_GPU))
    qtbot.addWidget(selector)
    selector.box.activated.emit(1)
    assert selector.device == "cuda"

    def fail_on_gpu(device):
        if device == "cuda":
            raise RuntimeError("out of memory")
    worker = threading.Thread(target=selector.run, args=(fail_on_gpu,))  # as a job does
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: selector.status.text().startswith("⚠ Training on: CPU. The GPU failed"))
    assert selector.box.currentText() == "CPU"


@pytest.mark.gui
def test_the_labs_show_the_selector_where_they_train(qtbot):
    from app.optimizer_lab import OptimizerLab
    from app.sequence_lab import SequenceLab
    lab = SequenceLab()
    qtbot.addWidget(lab)
    assert lab.device_selector.status.text() == "Training on: CPU"
    optimizers = OptimizerLab()
    qtbot.addWidget(optimizers)
    assert optimizers.mlp.device_selector.device == "cpu"


@pytest.mark.gui
@pytest.mark.skipif(engine.cuda.is_available(), reason="here the GPU would not fail")
def test_the_sequence_lab_goes_on_on_the_cpu_when_the_gpu_fails(qtbot):
    """The selector is told a GPU is there; moving the models to it fails for real (no GPU)."""
    from app.sequence_lab import SequenceLab
    lab = SequenceLab()
    qtbot.addWidget(lab)
    lab.device_selector.choice.options = WITH_GPU
    lab.device_selector.choice.select("cuda")
    lab.steps_box.setValue(10)
    lab.start_training()
    lab.finish_training()
    assert lab.trainers["gru"].steps_done == 10 and lab.trainers["gru"].device == "cpu"
    qtbot.waitUntil(lambda: "cannot use the 'cuda' device" in lab.device_selector.status.text())
    assert lab.device_selector.status.text().startswith("⚠ Training on: CPU. The GPU failed")
    assert lab.status.text() == ""   # training itself did not stop


@pytest.mark.gui
def test_the_training_lab_trains_through_its_selector_on_the_cpu(qtbot):
    from app.training_lab import TrainingLab
    lab = TrainingLab()
    qtbot.addWidget(lab)
    assert lab.device_selector.choice is lab.state.devices
    lab.step_once()
    lab.finish_training()
    assert lab.state.trainer.steps_done == 1 and lab.state.trainer.device == "cpu"
    qtbot.waitUntil(lambda: lab.device_selector.status.text() == "Training on: CPU")  # no note
    lab.set_presenting(True)
    assert lab.device_selector.isHidden()
    lab.set_presenting(False)
    assert not lab.device_selector.isHidden()


@pytest.mark.gui
@pytest.mark.skipif(engine.cuda.is_available(), reason="here the GPU would not fail")
def test_the_training_lab_goes_on_on_the_cpu_when_the_gpu_fails(qtbot):
    """The selector is told a GPU is there; moving the networks to it fails for real (no GPU):
    the one step asked for is done on the CPU, once, and the note says why."""
    from app.training_lab import TrainingLab
    lab = TrainingLab()
    qtbot.addWidget(lab)
    lab.state.devices.options = WITH_GPU
    lab.state.devices.select("cuda")
    lab.step_once()
    lab.finish_training()
    assert lab.state.trainer.steps_done == 1 and lab.state.trainer.device == "cpu"
    assert lab.state.rounds == 1
    qtbot.waitUntil(lambda: "cannot use the 'cuda' device" in lab.device_selector.status.text())
    assert lab.device_selector.status.text().startswith("⚠ Training on: CPU. The GPU failed")


@pytest.mark.gui
def test_the_generative_gan_trains_through_its_selector_on_the_cpu(qtbot):
    from app.generative_lab import GenerativeLab
    lab = GenerativeLab()
    qtbot.addWidget(lab)
    gan = lab.panel("gan")
    assert gan.device_selector.choice is gan.lab.devices
    assert gan.start_training(3)
    gan.finish_training()
    assert gan.lab.steps_done == 3 and gan.lab.trainers[0].device == "cpu"
    qtbot.waitUntil(lambda: gan.device_selector.status.text() == "Training on: CPU")  # no note
    lab.set_presenting(True)
    assert all(panel.device_selector.isHidden() for panel in lab.panels.values())


@pytest.mark.gui
@pytest.mark.skipif(engine.cuda.is_available(), reason="here the GPU would not fail")
def test_the_generative_gan_goes_on_on_the_cpu_when_the_gpu_fails(qtbot):
    from app.generative_lab import GenerativeLab
    lab = GenerativeLab()
    qtbot.addWidget(lab)
    gan = lab.panel("gan")
    gan.lab.devices.options = WITH_GPU
    gan.lab.devices.select("cuda")
    assert gan.start_training(3)
    gan.finish_training()
    assert gan.lab.steps_done == 3 and gan.lab.trainers[0].device == "cpu"
    qtbot.waitUntil(lambda: "cannot use the 'cuda' device" in gan.device_selector.status.text())
    assert gan.device_selector.status.text().startswith("⚠ Training on: CPU. The GPU failed")


@pytest.mark.gui
@pytest.mark.parametrize("model, reason", [("rbm", "the RBM's Gibbs sampling has no CUDA kernels"),
                                           ("seq2seq", "the encoder-decoder trains on the CPU only")])
def test_a_model_without_a_cuda_path_says_so_in_its_selector(qtbot, model, reason):
    """Its CUDA entry is disabled with the reason; were it chosen anyway, training falls
    back to the CPU with a note instead of failing."""
    from app.generative_lab import GenerativeLab
    lab = GenerativeLab()
    qtbot.addWidget(lab)
    panel = lab.panel(model)
    box = panel.device_selector.box
    cuda = box.findData("cuda")
    assert box.itemText(cuda) == f"CUDA (not available: {reason})"
    assert not box.model().item(cuda).isEnabled()
    with pytest.raises(ValueError, match="not available"):
        panel.lab.devices.select("cuda")
    panel.lab.devices.options = WITH_GPU   # as if the entry had been enabled
    panel.lab.devices.select("cuda")
    assert panel.start_training(2)
    panel.finish_training()
    assert panel.lab.steps_done == 2
    qtbot.waitUntil(lambda: "trains on the CPU only" in panel.device_selector.status.text())
