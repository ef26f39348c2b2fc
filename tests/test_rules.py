"""The rules backend: hardware, datasets, task, method, offsets and the backend seam."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from extractor.backends.base import BackendConfig, Request, Sampling
from extractor.backends.rules import RULES_VERSION, RulesBackend, extract_spans
from extractor.dumps import read
from extractor.rules.compose import compose
from extractor.rules.contribution import expand
from extractor.rules.cut import words
from extractor.rules.datasets import find_datasets
from extractor.rules.gazetteer import load
from extractor.rules.gist import coined_names, find_method, find_task
from extractor.rules.hardware import find_hardware
from extractor.rules.mechanism import (
    coordinated,
    how_clause,
    participle,
    relative_to_participle,
)
from extractor.rules.text import Words, may_hold, split_sentences
from extractor.rules.topic import find_topic
from extractor.schema import PaperSummary

DUMPS = Path(__file__).resolve().parents[2] / "shared" / "dumps"


def hardware(text: str) -> list[str]:
    return [f.name for f in find_hardware(text)]


def datasets(text: str, own: set[str] | None = None) -> list[str]:
    return [f.name for f in find_datasets(text, own)]


# ---------------------------------------------------------------- hardware

HARDWARE = [
    ("We train on a single NVIDIA A100 GPU.", ["NVIDIA A100"]),
    ("Experiments ran on 8 A100s.", ["A100"]),
    ("We use an H100 and a V100.", ["H100", "V100"]),
    ("Inference on a GeForce RTX 3090.", ["GeForce RTX 3090"]),
    ("It fits on one RTX 4090.", ["RTX 4090"]),
    ("Results on an NVIDIA T4 GPU.", ["NVIDIA T4"]),
    ("Results on a T4 GPU.", ["T4"]),
    ("We use TPU v4 pods.", ["TPU v4"]),
    ("Trained on TPUv3.", ["TPUv3"]),
    ("We deploy on a Jetson Nano.", ["Jetson Nano"]),
    ("We deploy on the NVIDIA Jetson AGX Xavier.", ["NVIDIA Jetson AGX Xavier"]),
    ("It runs on a Jetson Orin.", ["Jetson Orin"]),
    ("Latency measured on a Snapdragon 888.", ["Snapdragon 888"]),
    ("Runs on an Apple M1 laptop.", ["Apple M1", "laptop"]),
    ("Runs on a Raspberry Pi 4.", ["Raspberry Pi 4"]),
    ("Under 3 seconds on one single A40.", ["A40"]),
    ("We target an STM32 board.", ["STM32"]),
    ("trained on 8×A100 GPUs", ["A100"]),
    ("on 4 NVIDIA A100s and 2 V100 GPUs", ["NVIDIA A100", "V100"]),
    ("an A100-80GB card", ["A100"]),
    # a variant written onto the name keeps the class word after it the device's
    ("fine-tuned on 4 H100-80GB GPUs", ["H100"]),
    ("on two A100-SXM4-80GB GPUs and a CPU", ["A100", "CPU"]),
    # a name's word written in lower case is an ordinary word: a class, not the name
    ("run on an IBM quantum computer", ["quantum computer"]),
    ("run on IBM Quantum hardware", ["IBM Quantum"]),
    ("on an Intel Xeon Gold 6248 CPU", ["Intel Xeon Gold 6248"]),
    ("on an Apple M2 Max", ["Apple M2 Max"]),
    ("on a Qualcomm Snapdragon 8 Gen 2", ["Qualcomm Snapdragon 8 Gen 2"]),
    ("on an Arm Cortex-M4 microcontroller", ["Arm Cortex-M4", "microcontrollers"]),
    ("about 200 GPU-hours", ["GPU"]),
    ("training with multiple GPUs", ["GPU"]),
    ("fast multi-GPU training", ["GPU"]),
    ("a custom GPU kernel", ["GPU"]),
    ("on modern GPUs and CPUs", ["GPU", "CPU"]),
    ("a multicore CPU coupled with multiple accelerator units", ["CPU", "accelerator"]),
    ("on hardware accelerators", ["accelerator"]),
    ("implemented on an FPGA", ["FPGA"]),
    ("a dedicated ASIC design", ["ASIC"]),
    ("for deployment on resource-constrained edge devices", ["edge devices"]),
    ("running on mobile phones", ["mobile phones"]),
    ("running on smartphones", ["mobile phones"]),
    ("inference on microcontrollers", ["microcontrollers"]),
    ("inference on embedded devices", ["embedded devices"]),
    ("executed on a quantum computer", ["quantum computer"]),
    ("on NISQ devices", ["quantum computer"]),
    ("for IoT devices", ["IoT devices"]),
    ("trained on 8xA100 GPUs", ["A100"]),  # a count glued on with a plain x
    ("on a single 2080Ti GPU", ["2080Ti"]),
    ("56 FPS on GPU V100", ["V100"]),  # the class word before a device is that device's
    ("on a Qualcomm Hexagon processor", ["Qualcomm Hexagon"]),
    ("on a Meta Quest 2 headset", ["Meta Quest 2"]),
    ("1.9x faster on a Google Pixel 7 than", ["Google Pixel 7"]),  # the vendor and the model
]


@pytest.mark.parametrize(("text", "expected"), HARDWARE)
def test_find_hardware_reads_each_device_and_class(text, expected):
    """A device keeps its name as written; a class takes LABELLING.md's plain form."""
    assert hardware(text) == expected


NOT_HARDWARE = [
    "with limited computational resources",
    "on modern hardware",
    "across a cluster of machines",
    "reconstructing objects from edge maps",
    "an edge indicates a pairwise relation",
    "descending from those of M2 and M5 branes",
    "continuously embedded in L^2",
    "between embedded vectors",
    "phone fraud remains a threat",
    "a T4 phage model",
    "this accelerates convergence",
    "we tile the Hexagon lattice",
    "the Quest 2 benchmark of web navigation",
    "the Helio dataset of solar images",
    # a GPU's name is also a variable star's
    "photometry of the variable star V100 in the globular cluster M4",
    "the RR Lyrae stars V100 and V104 pulsate",
    "light curves of the eclipsing binary V100 and the variables V104 and V105",
]


@pytest.mark.parametrize("text", NOT_HARDWARE)
def test_find_hardware_rejects_each_decoy(text):
    """Bare `hardware`, clusters, graph edges and look-alike names are not hardware."""
    assert hardware(text) == []


def test_a_device_after_variables_in_an_abstract_about_computing_is_the_device():
    """`variables` and `binary` name stars only outside computing."""
    text = "The solver assigns 4096 binary variables V100 GPUs can hold in memory."
    assert hardware(text) == ["V100"]


def test_find_hardware_reports_a_device_once():
    """Repeated mentions give one entry."""
    assert hardware("GPUs here, a GPU there, GPU-hours everywhere.") == ["GPU"]


def test_a_class_keyword_is_what_its_pattern_needs_in_the_case_it_reads():
    """A class's pattern runs only where its keyword is: in lower case for a case-blind
    pattern, as written for a case-sensitive one (`NPU`; `input` holds `npu`)."""
    from extractor.rules.hardware import CLASSES

    for keyword, pattern, *_ in CLASSES:
        if pattern.flags & re.IGNORECASE:
            assert keyword == keyword.lower(), keyword
        else:
            assert keyword in pattern.pattern, keyword
    text = "Inference on an NPU, two MCUs, an ASIC design, NISQ devices, IoT devices and TPUs."
    assert hardware(text) == ["NPU", "microcontrollers", "ASIC", "quantum computer",
                              "IoT devices", "TPU"]
    assert hardware(text.lower()) == []


def test_find_hardware_offsets_point_into_the_text():
    """Each item's span slices its mention out of the abstract."""
    text = "We train on a single NVIDIA A100 GPU."
    (item,) = find_hardware(text)
    assert text[item.start : item.end] == "NVIDIA A100"


# ---------------------------------------------------------------- datasets

DATASETS = [
    ("We evaluate on ImageNet.", ["ImageNet"]),
    ("Results on CIFAR-10 and CIFAR-100.", ["CIFAR-10", "CIFAR-100"]),
    ("We fine-tune on GLUE and SQuAD 2.0.", ["GLUE", "SQuAD 2.0"]),
    ("Experiments on Imagenet show gains.", ["Imagenet"]),
    ("We use the OpenML benchmark suite.", ["OpenML"]),
    ("We test on the AMASS dataset.", ["AMASS"]),
    ("On the popular BEIR benchmark, we advance the state of the art.", ["BEIR"]),
    (
        "Our experiments on the Open Catalyst Project and 3BPA datasets show gains.",
        ["Open Catalyst Project", "3BPA"],
    ),
    ("Results on the Humaneval-Decompile Benchmark are strong.", ["Humaneval-Decompile"]),
    ("We release a newly collected dataset, Submerged3D, of deep-sea scenes.", ["Submerged3D"]),
    ("We propose a new dataset~Dash-Cam-Pose, consisting of clips.", ["Dash-Cam-Pose"]),
    ("This diverse labeled dataset, termed Objaverse-Mix, helps.", ["Objaverse-Mix"]),
    ("We also introduce BlendQA, a novel evaluation benchmark for reasoning.", ["BlendQA"]),
    ("on image benchmark datasets (CIFAR-10, SVHN) with 5 GPUs", ["CIFAR-10", "SVHN"]),
    ("We report results on Caltech CUB, Dogs and Cars.", ["Caltech CUB", "Dogs", "Cars"]),
    (
        "Results on MNIST, CIFAR10, HAM10000, BUSI, and GlaS datasets.",
        ["MNIST", "CIFAR10", "HAM10000", "BUSI", "GlaS"],
    ),
    ("We achieve 5% gains on the Leandojo benchmark.", ["Leandojo"]),
    ("Experiments on MATH and GSM8k datasets show gains.", ["MATH", "GSM8k"]),
    ("We summarise CNN/Daily Mail and XSum articles.", ["CNN/Daily Mail", "XSum"]),
    ('We introduce a new benchmark, "EmpiricalBench," for science.', ["EmpiricalBench"]),
    ("We consider the Pointer Value Retrieval (PVR) benchmark.", ["Pointer Value Retrieval (PVR)"]),
    ("It gains 9.4% on 2WikiMultihop and 3.1% on FooQA-v2.", ["2WikiMultihop", "FooQA-v2"]),
    ("We evaluate on ImageNet, FooBench-2, SVHN.", ["ImageNet", "FooBench-2", "SVHN"]),
    # a comma that closes an opening phrase: RCIG is the subject, not a second dataset
    ("Notably, on resized ImageNet, RCIG sees a 108% improvement.", ["ImageNet"]),
    # after a list closed by "and", ", Name verb" is the main clause's subject; the
    # opening "On"/"Across" is no part of the first name
    ("On FooSet-LT, CIFAR-10 and BarSet-7, Zap improves recall by 2%.",
     ["FooSet-LT", "CIFAR-10", "BarSet-7"]),
    ("Across FooSet-LT, MMLU or BarSet-7, Zap-2 consistently wins.",
     ["FooSet-LT", "MMLU", "BarSet-7"]),
    ("On SVHN and BarSet-7, Zap beats the baseline.", ["SVHN", "BarSet-7"]),
    # a kind word after the comma still names the last item as data
    ("We test on CIFAR-10, SVHN and MNIST, BarSet-7 datasets.",
     ["CIFAR-10", "SVHN", "MNIST", "BarSet-7"]),
    # one stem, several numbers: one dataset per number, a suffix for each
    ("We evaluate on CIFAR-10/100 and SVHN.", ["CIFAR-10", "CIFAR-100", "SVHN"]),
    ("Experiments on CIFAR-10, -20, -100, and STL-10.", ["CIFAR-10", "CIFAR-20", "CIFAR-100",
                                                        "STL-10"]),
    ("Results on CIFAR-10/100-LT and ImageNet.", ["CIFAR-10-LT", "CIFAR-100-LT", "ImageNet"]),
    ("We fine-tune on SQuAD v1.1/v2.0 and report F1.", ["SQuAD v1.1", "SQuAD v2.0"]),
    ("We train on ImageNet 128times128 at scale.", ["ImageNet 128times128"]),
    ("Results on permuted MNIST and rotated MNIST.", ["permuted MNIST", "rotated MNIST"]),
    # a magnitude in a list after a known name is no second dataset
    ("Decoding is up to 1.8x faster on MT-bench and 4x with strong scaling.", ["MT-bench"]),
    # a year after a known name is its edition, spelled as written
    ("It matches the teacher's FID on MS-COCO 2017 (22.1 vs. 21.8).", ["MS-COCO 2017"]),
    ("We train on COCO 2014-2017 images.", ["COCO"]),  # a span of years is no edition
    ("Trained on ImageNet 2012 to 2015 releases.", ["ImageNet"]),
    ("We use ImageNet 2048-dimensional features.", ["ImageNet"]),  # a count, not a year
    ("We sample CIFAR-10 2000 images per class.", ["CIFAR-10"]),
    ("Results on COCO 2017 val and iNaturalist 2018.", ["COCO 2017", "iNaturalist 2018"]),
    # a known name that runs on to the kind word is one name
    ("On the Genome in a Bottle HG002 benchmark, it maps a genome in 11 minutes.",
     ["Genome in a Bottle HG002"]),
]


@pytest.mark.parametrize(("text", "expected"), DATASETS)
def test_find_datasets_reads_each_pattern(text, expected):
    """Gazetteer names, `X dataset`, lists, appositions and brackets give names as written."""
    assert datasets(text) == expected


NOT_DATASETS = [
    "We collect a new dataset of 6,900 images.",
    "Experiments on synthetic data and real-world datasets.",
    "We study the Navier-Stokes equations and the Lorenz system.",
    "We fine-tune ResNet-50 and BERT on our data.",
    "We compare against CLIP and GPT-4 on several benchmarks.",
    "Using a popular ME method known as singular value thresholding (SVT) on the data.",
    "Learning in strategy games (e.g. StarCraft, poker) requires diverse policies.",
    "Using Bulgarian as a case study, we build a tool-use dataset.",
    "Our method handles non-Euclidean data sets.",
    "We present adversarial-attack generalization for Neural Algorithmic Reasoning benchmarking.",
    "The MATH department reviewed it.",
    "Accuracy improves by 2% on ResNets20 and DenseNet-121.",
]


@pytest.mark.parametrize("text", NOT_DATASETS)
def test_find_datasets_rejects_each_decoy(text):
    """Unnamed data, equations, models, acronym definitions and look-alikes are not datasets."""
    assert datasets(text) == []


def test_find_datasets_never_returns_the_papers_own_method():
    """`On the BEIR benchmark, XTR advances ...`: XTR is the method, not a dataset."""
    assert datasets("On the BEIR benchmark, XTR advances the state of the art.", {"XTR"}) == [
        "BEIR"
    ]


@pytest.mark.parametrize("text", [
    "We present FooSet, a novel dataset for learning PDE solvers.",
    "This diverse labeled dataset, termed FooSet, helps.",
])
def test_the_papers_own_name_is_a_dataset_when_the_paper_introduces_it_as_one(text):
    """`We present ConDiff, a novel dataset`: the paper's own name is its dataset."""
    assert datasets(text, {"FooSet"}) == ["FooSet"]


def test_the_papers_own_name_after_a_benchmark_it_runs_on_is_not_a_dataset():
    """`On the BEIR benchmark, XTR is ...`: XTR is evaluated there, not introduced."""
    assert datasets("On the BEIR benchmark, XTR is the best retriever.", {"XTR"}) == ["BEIR"]


def test_find_datasets_reports_a_name_once():
    """Repeated mentions give one entry, the first spelling."""
    assert datasets("ImageNet results. More ImageNet results.") == ["ImageNet"]


def test_dataset_gazetteer_ships_several_hundred_names():
    """The packaged gazetteer loads and holds several hundred names."""
    assert len(load("datasets").exact) > 500
    assert load("datasets").exact["CIFAR-10"].canonical == "CIFAR-10"


def test_lower_case_names_are_found_only_where_a_word_starts():
    """`nuScenes` and two `ogbn-` names sharing a stem are found; `XnuScenes` is no name."""
    hits = load("datasets").find("On nuScenes, (ogbn-arxiv) and ogbn-products, not XnuScenes.")
    assert [h.text for h in hits] == ["nuScenes", "ogbn-arxiv", "ogbn-products"]


def test_lower_case_names_are_looked_for_by_a_prefix_every_name_of_its_group_shares():
    """Each search prefix starts every name it stands for (`ogb` for `ogbn-arxiv` and
    `ogbg-molhiv`), and is as long as they allow: `permuted`, not `per`."""
    for name in ("datasets", "hardware"):
        stems = load(name).lower_stems
        for prefix, names in stems.items():
            assert all(n.startswith(prefix) for n in names)
            assert len(names) == 1 or len({n[len(prefix) : len(prefix) + 1] for n in names}) > 1
    assert "permuted" in load("datasets").lower_stems
    hits = load("datasets").find("superpermuted MNIST, super permuted MNIST, ogbg-molhiv.")
    assert [h.text for h in hits] == ["MNIST", "permuted MNIST", "ogbg-molhiv"]


def test_a_word_that_starts_no_name_may_still_hold_one_after_a_count_a_dash_or_an_owner():
    """Words are ruled out by their folded form, except those whose name starts later
    (`8xA100`), ends sooner (`A100-80GB`) or takes an owner's `'s` (`ImageNet's`)."""
    hits = load("hardware").find("On 8xA100 and an A100-80GB card, NVIDIA's H100s ran.")
    assert [h.text for h in hits] == ["A100", "A100", "H100s"]
    hits = load("datasets").find("ImageNet's labels, CIFAR-10’s images and 2xMNIST.")
    assert [h.text for h in hits] == ["ImageNet", "CIFAR-10", "MNIST"]


def test_capitalised_words_start_lookups_only_at_a_word_start():
    """`xCIFAR-10` is no name; `CIFAR-10` after a bracket or a line start is."""
    hits = load("datasets").find("CIFAR-10 and xCIFAR-10 and (CIFAR-100)")
    assert [(h.text, h.start) for h in hits] == [("CIFAR-10", 0), ("CIFAR-100", 28)]


# ---------------------------------------------------------------- task and method

TASKS = [
    (
        "Accelerating Data Generation for Neural Operators via Krylov Subspace Recycling",
        "data generation for neural operators",
    ),
    ("NeuPL: Neural Population Learning", "neural population learning"),
    ("GNOT: A General Neural Operator Transformer for Operator Learning", "operator learning"),
    ("Memory-Efficient LLM Training with Online Subspace Descent", "memory-efficient LLM training"),
    ("Towards Robust Crop Row Detection", "robust crop row detection"),
    ("Identity Preserving Loss for Learned Image Compression", "learned image compression"),
]


@pytest.mark.parametrize(("title", "task"), TASKS)
def test_find_task_reads_the_problem_from_the_title(title, task):
    """The title minus its method part, lower-cased, is the task."""
    assert find_task(title, "An abstract about it.").text == task


def test_find_task_keeps_proper_names_the_abstract_capitalises():
    """`Krylov` stays capitalised when the abstract writes it so mid-sentence."""
    got = find_task("Fast Krylov Solvers via Recycling", "We recycle Krylov subspaces here.")
    assert got.text == "fast Krylov solvers"


def test_find_task_falls_back_to_the_abstract_for_a_one_word_title():
    """A title with no usable phrase gives `the problem of X` from the abstract."""
    got = find_task("Zebra", "We study the problem of learning linear dynamical systems.")
    assert got.text == "learning linear dynamical systems"
    assert got.source == "abstract"


def test_find_task_drops_a_gerund_joined_to_the_lead_but_keeps_nouns():
    """`Understanding and Robustifying X` is about X; `Relabeling and Function Call
    Enhanced Decompile` names two things, the first an -ing noun: neither starts `and`."""
    abstract = "We study differentiable architecture search and its failures in practice."
    got = find_task("Understanding and Robustifying Differentiable Architecture Search", abstract)
    assert got.text.lower() == "differentiable architecture search"
    title = "ReF Decompile: Relabeling and Function Call Enhanced Decompile"
    got = find_task(title, "We decompile.")
    assert got.text.lower().startswith("relabeling and function call")


def test_task_is_at_most_eight_words():
    """LABELLING.md: the task is 2 to 8 words."""
    got = find_task("A Very Long Title About Many Things That Goes On And On Forever", "x")
    assert 2 <= len(got.text.split()) <= 8


def test_find_method_starts_with_the_coined_name():
    """`we propose a method called SKR that sorts ...` gives `SKR, sorting ...`."""
    abstract = (
        "Data generation is slow. We propose a novel method called SKR that sorts "
        "linear systems and recycles Krylov subspaces. SKR is fast."
    )
    got = find_method("Accelerating Data Generation", abstract)
    assert got.text.startswith("SKR, sorting linear systems")
    assert "recycles Krylov subspaces" in got.text


def test_find_method_uses_the_title_name():
    """`NeuPL: Neural Population Learning` names the method and spells it out."""
    abstract = "We introduce a general framework that learns a population of policies."
    got = find_method("NeuPL: Neural Population Learning", abstract)
    assert got.text.startswith("Neural Population Learning (NeuPL), learning a population")


def test_find_method_is_at_most_fifteen_words():
    """LABELLING.md: the method is at most 15 words."""
    abstract = "We propose " + " ".join(["a very long method description"] * 10) + "."
    assert len(find_method("T", abstract).text.split()) <= 15


def test_coined_names_reads_title_acronyms_and_called():
    """Names come from the title prefix, `called X` and acronyms the title repeats."""
    names = coined_names("SKR: Krylov Recycling", "A method called FastKR and (SKR) here.")
    assert names[:2] == ["SKR", "FastKR"]


TASK_PATTERNS = [
    # A slogan before the colon gives way to the description after it.
    (
        "Unrolling Is All You Need: Towards Efficient Deep Unfolding Networks",
        "efficient deep unfolding networks",
    ),
    # A claim title keeps the object of its verb.
    (
        "Gated Attention Boosts Length Extrapolation in Language Models",
        "length extrapolation in language models",
    ),
    # A participle with `by` introduces the method, not the task.
    (
        "Uncertainty Quantification in Mechanical Submodels Driven by a GAN",
        "uncertainty quantification in mechanical submodels",
    ),
    # `Methods with X for Task` keeps Task, reading through the `with`.
    (
        "Blockwise Methods with Parallel Speedup for Multi-Block Bilevel Optimization",
        "multi-block bilevel optimization",
    ),
    # `Iteration` is a method head like `Method`: `Iteration for Task` keeps Task.
    (
        "Variance Reduced Halpern Iteration for Finite-Sum Monotone Inclusions",
        "finite-sum monotone inclusions",
    ),
    # Articles are dropped so that eight words hold more of the topic.
    (
        "Accurate Computation of the Logarithm of the Modified Bessel Functions",
        "accurate computation of logarithm of modified bessel functions",
    ),
]


@pytest.mark.parametrize(("title", "task"), TASK_PATTERNS)
def test_find_task_title_patterns(title, task):
    """Each title convention gives the topic it announces."""
    assert find_task(title, "An abstract about it.").text == task


def test_find_method_spells_out_the_acronym_first():
    """`a method, namely Sorting Krylov Recycling (SKR), ...` starts with the spelled-out name."""
    abstract = (
        "Data generation is slow. We propose a novel method, namely Sorting Krylov "
        "Recycling (SKR), to boost the efficiency of solving these systems."
    )
    got = find_method("Accelerating Data Generation", abstract)
    assert got.text == "Sorting Krylov Recycling (SKR)"


def test_expand_matches_initials_through_hyphens_and_extra_words():
    """Initials of hyphenated parts count, and one extra word may sit inside the name."""
    text = "We introduce Boundary-Embedded Neural Operators (BENO) here."
    assert expand("BENO", text) == "Boundary-Embedded Neural Operators (BENO)"
    text = "using our proposed Generalized Functional Upper Confidence Bound algorithm (GFUCB)."
    assert expand("GFUCB", text).startswith("Generalized Functional Upper")
    assert expand("SKR", "We study the problem (SKR) here.") is None


def test_find_method_names_a_late_acronym_after_our_proposed():
    """An acronym after `our proposed` names the contribution even deep in the clause."""
    abstract = (
        "We propose to extract a shared representation from a function class using our "
        "proposed Generalized Functional Upper Confidence Bound algorithm (GFUCB)."
    )
    got = find_method("Provable Representation Learning", abstract)
    assert got.text.startswith("Generalized Functional Upper Confidence Bound algorithm (GFUCB), ")


def test_find_method_prefers_the_named_contribution():
    """`we introduce the Gaunt Tensor Product` wins over an earlier unnamed `we propose`."""
    abstract = (
        "We propose a systematic approach to accelerate tensor products of irreps. "
        "Leveraging this approach, we introduce the Gaunt Tensor Product, which serves as a "
        "new method to construct equivariant operations."
    )
    assert find_method("Efficient Equivariant Operations", abstract).text.startswith(
        "the Gaunt Tensor Product"
    )


def test_find_method_skips_objects_that_are_not_methods():
    """`we consider the following settings` and `we present experiments` are no method."""
    abstract = "We consider the following two settings. We present three numerical experiments."
    got = find_method("Quantum Lower Bounds for Stationary Points", abstract)
    assert got.text == "Quantum Lower Bounds for Stationary Points"
    assert got.source == "title"


def test_find_method_ignores_prior_work_the_paper_builds_upon():
    """`this work builds upon X` describes prior work, not the contribution."""
    abstract = "This work builds upon previous efforts in online learning, namely the IGMN."
    assert find_method("A Fast Incremental Model", abstract).source == "title"


def test_find_method_drops_praise_and_keeps_the_article_right():
    """`a novel, simple yet effective adaptive method` becomes `an adaptive method`."""
    abstract = "We propose a novel, simple yet effective adaptive method for sparse linear systems."
    assert find_method("T", abstract).text == "an adaptive method for sparse linear systems"


def test_the_praise_pre_checks_never_change_a_proposal(monkeypatch):
    """`proposals` skips a praise pattern where a cheap test finds none of its words:
    with the test switched off, every gold abstract, in any case, proposes the same."""
    from extractor.fixtures import load_fixtures
    from extractor.rules import proposals as module

    root = Path(__file__).resolve().parents[1] / "fixtures"
    papers = [f.abstract for name in ("gold.jsonl", "other_fields.jsonl")
              for f in load_fixtures(root / name)]
    papers += [a.upper() for a in papers] + [a.title() for a in papers]
    papers.append("We propose a NOVEL, Simple Yet Effective method that is Fast and robust.")
    cheap = [module.proposals(a) for a in papers]
    monkeypatch.setattr(module, "may_hold", lambda text, words: True)
    assert [module.proposals(a) for a in papers] == cheap


def test_one_pattern_per_proposing_subject_finds_what_their_alternation_finds():
    """`_proposing` runs one pattern per subject (`we`, `this paper`, `our work`, `and`);
    on every gold abstract and on subjects run together it finds what one pattern with
    the subjects as alternatives finds, match for match."""
    from extractor.fixtures import load_fixtures
    from extractor.rules import proposals as module

    whole = re.compile("(?:" + "|".join(module._SUBJECTS) + ")" + module._VERB)
    root = Path(__file__).resolve().parents[1] / "fixtures"
    texts = [f.abstract.lower() for name in ("gold.jsonl", "other_fields.jsonl")
             for f in load_fixtures(root / name)]
    texts.append("this paper we propose and introduce; our work newly presents, "
                 "we thus propose and develop this work and study our paper shows")
    for low in texts:
        assert [(m.span(), m.group("verb")) for m in module._proposing(low)] == [
            (m.span(), m.group("verb")) for m in whole.finditer(low)
        ]


def test_the_check_before_a_clause_end_changes_no_stop():
    """_CLAUSE_END first checks for a stop or a space; without that check it finds
    the same end of every clause after every word of the gold abstracts, in any case."""
    from extractor.fixtures import load_fixtures
    from extractor.rules import proposals as module

    whole = module._CLAUSE_END.pattern.replace("(?=[\\s,.;:])", "", 1)
    assert whole != module._CLAUSE_END.pattern
    blind = re.compile(whole, re.I)
    root = Path(__file__).resolve().parents[1] / "fixtures"
    abstracts = [f.abstract for f in load_fixtures(root / "gold.jsonl")][:40]
    for abstract in abstracts + [a.upper() for a in abstracts[:10]]:
        for at in range(0, len(abstract), 7):
            rest = abstract[at : at + 400]
            got, want = module._CLAUSE_END.search(rest), blind.search(rest)
            assert (got and (got.span(), got.group(0))) == (want and (want.span(), want.group(0)))


def test_find_method_cuts_a_purpose_clause_after_enough_content():
    """`... kernel to reduce memory` loses its purpose; `an approach to learn X` keeps it."""
    got = find_method("T", "We propose a sparse attention kernel to reduce the memory footprint.")
    assert got.text == "a sparse attention kernel"
    got = find_method("T", "We introduce an unsupervised approach to learn neuron affinities.")
    assert got.text == "an unsupervised approach to learn neuron affinities"


def test_find_method_adds_a_second_contribution_and_the_title_mechanism():
    """Another `we design X` and the title's `via Y` fill the words, joined by `with`."""
    abstract = (
        "We propose GenBaB, a framework for verification of general nonlinearities. "
        "We also design a branching heuristic which uses linear bounds."
    )
    got = find_method("Verification via Branch-and-Bound", abstract)
    assert got.text == (
        "GenBaB, a framework for verification of general nonlinearities, "
        "with a branching heuristic and Branch-and-Bound"
    )
    assert len(got.text.split()) <= 15


def test_find_method_takes_no_code_release_as_a_second_contribution():
    """`we provide our code on GitHub` says where the method is, not what it is."""
    abstract = "We propose EMMA, a loss function for robust training. We provide our code."
    assert find_method("T", abstract).text == "EMMA, a loss function for robust training"


def test_how_clause_reads_the_next_sentence_about_the_named_method():
    """`Unlike X, FooNet compresses ...` after `we present FooNet` is how FooNet works."""
    abstract = (
        "We present FooNet, a new architecture. Unlike dense models, FooNet quietly "
        "compresses the hidden states into sparse codes, which saves memory."
    )
    assert (
        how_clause(abstract, 38, ["FooNet"])
        == "quietly compressing the hidden states into sparse codes"
    )


def test_how_clause_skips_results_and_reads_design_copulas():
    """`our method outperforms` is a result; `our method is based on X` is the design."""
    abstract = (
        "We propose a solver. Our method outperforms all baselines. "
        "Our method is based on random sketches of the matrix."
    )
    assert how_clause(abstract, 20, []) == "based on random sketches of the matrix"


def test_how_clause_reads_this_is_achieved_by():
    """`This is achieved by V-ing ...` gives the means."""
    abstract = "We propose a cache. This is achieved by reusing keys across layers."
    assert how_clause(abstract, 19, []) == "reusing keys across layers"


@pytest.mark.parametrize(
    ("verb", "ing", "base"),
    [("obfuscates", "obfuscating", False), ("applies", "applying", False),
     ("matches", "matching", False), ("maps", "mapping", False), ("learns", "learning", False),
     ("uses", "using", False), ("frees", "freeing", False),
     # a bare infinitive (`propose to bias`) keeps its final s: not `biaing`
     ("bias", "biasing", True), ("compress", "compressing", True), ("focus", "focusing", True),
     ("leverage", "leveraging", True), ("map", "mapping", True), ("apply", "applying", True),
     ("see", "seeing", True),
     # stressed on the last syllable: the consonant doubles as in `mapping`
     ("embeds", "embedding", False), ("refers", "referring", False),
     ("control", "controlling", True), ("offers", "offering", False),
     ("listens", "listening", False)],
)  # fmt: skip
def test_participle_follows_english_spelling(verb, ing, base):
    """The -ing form drops a silent e, doubles a short final consonant, turns -ies to -ying."""
    assert participle(verb, base=base) == ing


def test_relative_to_participle_rewrites_that_and_which():
    """`a model which predicts X` becomes `a model predicting X`; `of which` is left alone."""
    assert relative_to_participle("a model which predicts motion") == "a model predicting motion"
    assert relative_to_participle("X, which learns Y") == "X, learning Y"
    assert (
        relative_to_participle("the proof of which builds on Z") == "the proof of which builds on Z"
    )


def test_find_method_drops_praise_joined_by_and():
    """`a novel and efficient X` is X: not `an and efficient X`, as the `and` once stayed."""
    got = find_method("T", "We propose a novel and efficient error-feedback technique.")
    assert got.text == "an error-feedback technique"
    got = find_method("T", "We present a simple and practical method for ranking.")
    assert got.text == "a method for ranking"
    got = find_method("T", "We propose a straightforward yet effective paradigm for ranking.")
    assert got.text == "a paradigm for ranking"
    got = find_method("T", "We propose new and existing benchmarks for ranking.")
    assert got.text.startswith("new and existing benchmarks")  # not praise: kept


def test_find_method_drops_praise_after_an_article():
    """`an efficient, robust sampler` is a sampler; `fast Fourier transform` is kept."""
    got = find_method("T", "We propose an efficient, robust sampler for graphs.")
    assert got.text == "a sampler for graphs"
    got = find_method("T", "We present a fast Fourier transform variant for graphs.")
    assert got.text == "a fast Fourier transform variant for graphs"


def test_find_method_drops_a_bare_generic_head_after_the_name():
    """`ZetaOpt, a framework` says no more than `ZetaOpt`; `ZetaOpt, a framework V-ing` keeps V."""
    got = find_method("T", "We introduce ZetaOpt, a framework. It is good.")
    assert got.text == "ZetaOpt"
    got = find_method("T", "We introduce ZetaOpt, a framework that prunes redundant layers.")
    assert got.text == "ZetaOpt, pruning redundant layers"


def test_find_method_adds_the_titles_method_part():
    """`Damped Mirror Iteration for Task` names the method the abstract leaves unnamed."""
    abstract = "We develop a scheme for these inclusions. It converges."
    got = find_method("Damped Mirror Iteration for Monotone Inclusions", abstract)
    assert got.text == "Damped Mirror Iteration, a scheme for these inclusions"


def test_find_method_drops_asides_and_a_second_verb_of_we():
    """`(i.e., ...)` explains and `, and study X` is another act: neither is the method."""
    abstract = "We propose a sketching solver (i.e., one that samples rows), and study its rate."
    assert find_method("T", abstract).text == "a sketching solver"


def test_find_method_reads_propose_to_as_a_participle():
    """`we propose to reuse old Hessians` proposes reusing them."""
    got = find_method("T", "We propose to reuse old Hessians for several steps.")
    assert got.text == "reusing old Hessians for several steps"
    got = find_method("T", "We propose to bias sampling on the posterior.")
    assert got.text == "biasing sampling on the posterior"  # a bare verb: no `s` to drop
    got = find_method("T", "We propose to compress the optimizer state.")
    assert got.text == "compressing the optimizer state"


def test_find_method_spells_out_an_acronym_only_the_title_expands():
    """`QRNs: Quantum Residual Networks` spells QRNs out though the abstract never does."""
    abstract = "We introduce QRNs, a family of circuits with skip connections."
    got = find_method("QRNs: Quantum Residual Networks", abstract)
    assert got.text.startswith("Quantum Residual Networks (QRNs), a family of circuits")


def test_find_method_reads_and_propose_after_another_verb_of_we():
    """`we focus on X, and propose Y` proposes Y; another subject's `and propose` does not."""
    abstract = "Here we focus on sparse graphs, and propose a greedy coloring heuristic."
    assert find_method("T", abstract).text == "a greedy coloring heuristic"
    abstract = "Earlier studies cache activations and propose eviction rules. It is open."
    assert find_method("Cache Eviction", abstract).source == "title"


def test_find_method_reads_an_adverb_between_we_and_the_verb():
    """`we formally introduce X` introduces X as `we introduce X` does."""
    got = find_method("T", "We formally introduce a lattice sieve for short vectors.")
    assert got.text == "a lattice sieve for short vectors"


def test_find_method_calls_a_study_an_analysis():
    """LABELLING.md: for an analysis paper the method is the analysis (`we study X`)."""
    got = find_method("T", "We study the implicit bias of momentum in deep linear networks.")
    assert got.text == "analysis of the implicit bias of momentum in deep linear networks"


def test_find_method_reads_a_proven_noun_but_not_a_proven_that():
    """`we prove new rates for X` contributes the rates; `we prove that` states a result."""
    got = find_method("T", "We prove new regret bounds for adaptive pricing under drift.")
    assert got.text == "regret bounds for adaptive pricing under drift"
    got = find_method("Adaptive Pricing", "We prove that greedy pricing is optimal.")
    assert got.source == "title"


def test_coined_names_reads_a_title_head_the_abstract_repeats():
    """`Spectral Echo Filters: ...` names the method when the abstract uses the words too."""
    abstract = "We present spectral echo filters, which denoise seismic traces."
    names = coined_names("Spectral Echo Filters: Denoising Seismic Traces", abstract)
    assert names == ["Spectral Echo Filters"]
    assert coined_names("Denoising Seismic Traces: A Study", "We study traces.") == []


def test_find_method_drops_a_praising_relative_clause():
    """`a sampler that is fast and lightweight` is a sampler: the clause only praises."""
    got = find_method("T", "We introduce a tempered graph sampler that is fast and lightweight.")
    assert got.text == "a tempered graph sampler"


def test_expand_adds_the_acronym_to_a_spelled_out_name():
    """A name in full (`Tangent Flow Kernel`) gains the `(TFK)` the abstract gives it."""
    abstract = "We call it the Tangent Flow Kernel (TFK). The TFK is exact."
    assert expand("Tangent Flow Kernel", abstract) == "Tangent Flow Kernel (TFK)"
    assert expand("Tangent Flow Kernel", "No acronym here.") is None


def test_find_method_prefers_a_method_to_a_result():
    """`we establish guarantees` states a result; the solver also described is the method."""
    abstract = (
        "We establish convergence guarantees for sparse regression. "
        "We also describe a screening solver for the lasso."
    )
    assert find_method("T", abstract).text == "a screening solver for the lasso"


def test_words_leaves_no_dangling_function_word():
    """A cut never ends on `of the`, `and` or a comma."""
    assert words("a method for the computation of the truncated SVD", 7) == (
        "a method for the computation"
    )
    assert words("GenBaB, a framework, and more", 3) == "GenBaB, a framework"


def test_words_leaves_no_dangling_quantifier_or_preposition():
    """A cut never ends on `of any`, `that is based` or `through`: half a phrase."""
    assert words("a meta-solver improving the accuracy of any", 7) == (
        "a meta-solver improving the accuracy"
    )
    assert words("a layered model that is based on", 6) == "a layered model"
    assert words("a training strategy through", 4) == "a training strategy"


def test_words_leaves_no_dangling_auxiliary():
    """`a technique that can be` is half a clause: the auxiliaries and `that` go."""
    assert words("an error-feedback technique that can be applied to X", 5) == (
        "an error-feedback technique")


def test_words_leaves_no_dangling_possessive_comparison_or_conjunction():
    """`convergence of our`, `performance similar`, `but only`: each wants more words."""
    assert words("fast global convergence of our method", 4) == "fast global convergence"
    assert words("maintaining performance similar to 32-bit", 3) == "maintaining performance"
    assert words("an algorithm without pairs, but only rewards", 6) == (
        "an algorithm without pairs")
    assert words("a form that is able to represent", 5) == "a form"


def test_words_drops_an_owner_and_a_second_verb_whose_noun_the_limit_cut_off():
    """`... and preserves an object's [topology]`: the owner, its verb and the `and` go;
    a whole possessive phrase stays."""
    text = "an algorithm compatible with optimization that preserves an object's topology"
    assert words("an algorithm compatible with optimization and preserves an object's "
                 "topology in 3D", 9) == "an algorithm compatible with optimization"
    assert words("an activation function enhancing the Transformer's ability", 6) == (
        "an activation function")
    assert words(text, 11) == text
    assert words("a method that detects images and videos the model misses", 7) == (
        "a method that detects images and videos")


def test_words_never_leaves_a_parenthesis_open():
    """A cut inside an aside drops the aside: `X (one for plasticity,` is `X`."""
    text = "Sy-CON consisting of two losses (one for plasticity, one for stability)"
    assert words(text, 8) == "Sy-CON consisting of two losses"
    assert words(text, 11) == text  # closed within the limit: kept
    assert words("a solver with cost O(dm) per step and more", 5) == "a solver with cost O(dm)"
    assert words("a solver with cost O(dm log m) per step", 5) == "a solver with cost"


def test_words_drops_a_relative_clause_the_limit_cut_short():
    """`a family of subspaces that we call` names nothing; a whole clause stays."""
    text = "a family of subspaces in manifolds that we call barycentric subspaces"
    assert words(text, 9) == "a family of subspaces in manifolds"
    assert words(text, 11) == text
    assert words("a sampler that mixes fast", 5) == "a sampler that mixes fast"


def test_words_drops_a_verb_whose_object_the_limit_cut_off():
    """`a framework for sparsifying` names no method: the verb goes with its object."""
    text = "a framework for sparsifying the activations of base LLMs"
    assert words(text, 4) == "a framework"
    assert words(text, 6) == "a framework for sparsifying the activations"
    assert words("systematically computing the fixed points", 2) == ""  # nothing left
    assert words("X, a framework proactively detecting and disrupting scams", 7) == (
        "X, a framework")
    assert words("a RANSAC allowing learning the model", 4) == "a RANSAC"
    assert words("an analysis of temperature sampling, finding that X", 6) == (
        "an analysis of temperature sampling")


def test_words_drops_a_participle_whose_complement_the_limit_cut_off():
    """`an algorithm inspired [by X]` leaves `inspired` waiting for its `by`; `learned
    weights` is a modifier, kept; a clause left open again (`whose complexity [is]`) goes."""
    assert words("a randomized algorithm inspired by online learning", 4) == (
        "a randomized algorithm")
    assert words("a model with learned weights and biases", 5) == "a model with learned weights"
    assert words("operators between spaces whose complexity is distributed across", 6) == (
        "operators between spaces")


def test_words_keeps_a_noun_in_ing_at_the_cut():
    """`Hebbian learning`, `signal processing`: nouns, kept when the limit falls after them."""
    assert words("a method based on Hebbian learning and lateral connections", 6) == (
        "a method based on Hebbian learning")
    assert words("two tasks: deblurring, and imaging of stars", 5) == (
        "two tasks: deblurring, and imaging")


def test_compose_drops_a_bare_generic_head_the_cut_leaves():
    """`CATS, a framework [for sparsifying X]` cut to its head is `CATS` and what follows."""
    parts = {"first": "Contextually Aware Thresholding for Sparsity (CATS), a framework for "
                      "sparsifying the "
                      "activations of base LLMs and reducing inference costs",
             "how": "", "with": "a custom GPU kernel", "via": "", "title": ""}
    assert compose(parts) == (
        "Contextually Aware Thresholding for Sparsity (CATS), with a custom GPU kernel")


def test_how_clause_and_propose_to_read_past_an_adverb():
    """`AID thus combines X` and `we propose to explicitly assign X`: the verb is the next
    word, not `thuing` or `explicitlying`."""
    abstract = "We propose AID, a modular approach. AID thus combines implicit differentiation."
    assert how_clause(abstract, 35, ["AID"]) == "combining implicit differentiation"
    got = find_method("T", "We propose to explicitly assign labels to nodes as features.")
    assert got.text == "explicitly assigning labels"  # `to ...` is read as a purpose: cut


def test_coordinated_turns_a_second_verb_into_a_participle_or_ends_at_a_result():
    """`updating X and incorporates Y` is `... and incorporating Y`; `and improves the
    performance` is a result, not the method, and ends it."""
    assert coordinated("updating the variable and incorporates two techniques") == (
        "updating the variable and incorporating two techniques")
    assert coordinated("a method enforcing a structure and improves the performance") == (
        "a method enforcing a structure")
    assert coordinated("a model of inputs and outputs the same") == (
        "a model of inputs and outputs the same")  # no participle before: left as it is
    assert coordinated("removing the replay and replaces them") == (
        "removing the replay and replacing them")


def test_find_method_ends_at_a_second_verb_of_we():
    """`we derive X and reveal Y`, `we study X, and compare it`: X is the object."""
    got = find_method("T", "We derive a one-step update of the gradient and reveal the scales.")
    assert got.text == "a one-step update of the gradient"


def test_how_clause_reads_no_plural_noun_as_a_verb():
    """`CD methods converge` goes on with a noun: not `methoding converge`."""
    abstract = "We propose two Coordinate Descent (CD) methods. CD methods converge fast."
    assert how_clause(abstract, 48, ["CD"]) is None


def test_relative_to_participle_rewrites_both_coordinated_verbs():
    """`a framework that detects and disrupts X` is `a framework detecting and disrupting X`."""
    assert relative_to_participle("a framework that detects and disrupts scams") == (
        "a framework detecting and disrupting scams")
    assert relative_to_participle("a model that learns and is fast") == (
        "a model learning and is fast")  # a copula is left as it is


def test_find_method_takes_no_setting_or_relative_clause_as_the_object():
    """`we consider the case where ...` is a setting; in `a theory we develop that unifies
    X`, `we develop` has no object of its own."""
    abstract = ("We consider the case where one does not need to know the solution x itself. "
                "We propose QSolve, a quantum algorithm for linear systems.")
    assert find_method("T", abstract).text == "QSolve, a quantum algorithm for linear systems"
    abstract = ("We propose an optimizer without schedules. It is a consequence of a new "
                "theory we develop that unifies scheduling and iterate averaging.")
    assert "that unifies" not in find_method("T", abstract).text


@pytest.mark.parametrize(("sentence", "method"), [
    ("The objective function we propose is associated with projection operators.",
     "the objective function associated with projection operators"),
    ("The Domain Transfer Network (DTN) we present employs a compound loss function.",
     "the Domain Transfer Network (DTN), employing a compound loss function"),
    ("At its root is a special CFG encoding that we propose for continual semantic guidance.",
     "a special CFG encoding for continual semantic guidance"),
    ("The measures of regularity we consider is the Sobolev norm with weights.",
     "the Sobolev norm with weights"),
    ("The loss function we propose can help diffusion models resist corruption.",
     "the loss function"),
])  # fmt: skip
def test_find_method_reads_the_noun_phrase_that_we_propose_sits_in(sentence, method):
    """In `The X we propose is/employs/can ...` the verb has no object of its own: what
    follows is the sentence's predicate, once read as the method (`is associated with`)."""
    assert find_method("T", f"Deep models are popular. {sentence}").text == method


@pytest.mark.parametrize("sentence", [
    "In this paper we propose a solver for sparse systems.",
    "Here we present a solver for sparse systems.",
    "Using these insights we propose algorithms for sparse systems.",
    "To this end we introduce a solver for sparse systems.",
])  # fmt: skip
def test_find_method_keeps_the_object_when_we_opens_its_own_clause(sentence):
    """`In this paper we propose X`, `Using these insights we propose X`: X is the object."""
    assert "sparse systems" in find_method("T", f"Deep models are popular. {sentence}").text


def test_find_method_ends_a_short_object_at_a_second_predicate_of_we():
    """Only `X (SKR), which ...` reads on past a comma after a short object: in `we study
    the NTK numerically, observe Y, and compare Z` the object ends at the comma."""
    got = find_method("T", "We study the kernel numerically, observe its behavior for wide "
                           "networks, and compare it to the limit.")
    assert got.text == "analysis of the kernel"  # the manner adverb goes too (next test)
    got = find_method("T", "We present a solver for sparse systems, and we conclude by "
                           "discussing future work.")
    assert got.text == "a solver for sparse systems"


def test_an_object_loses_a_closing_manner_adverb_but_not_a_word_in_ly():
    """`we study X numerically` studies X: how it was studied is not what. A verb or
    noun that ends in -ly (`supply`, `family`, `assembly`) is kept."""
    for adverb in ("empirically", "efficiently", "exhaustively", "separately", "carefully"):
        got = find_method("T", f"We study the spectrum {adverb}.").text
        assert got == "analysis of the spectrum"
    for obj in ("a pricing model for supply", "a loss for a model family",
                "a scheduler for assembly", "a detector for each anomaly",
                "a model of a rally", "a tracker for the butterfly"):
        assert find_method("T", f"We propose {obj}.").text == obj


def test_an_object_that_only_repeats_the_name_is_the_name():
    """`we study the NTK` after `Neural Tangent Kernel (NTK)`: the object says no more than
    the name, so the name is the method, not `Neural Tangent Kernel (NTK), the NTK`."""
    abstract = ("Wide nets meet a new kernel, the Extra Yield Zone (EYZ). "
                "We study the EYZ numerically.")
    assert find_method("Extra Yield Zone: A Study", abstract).text == "Extra Yield Zone (EYZ)"
    # An object that says more about the named thing keeps it.
    abstract = abstract.replace("the EYZ numerically", "the EYZ of deep networks")
    got = find_method("Extra Yield Zone: A Study", abstract).text
    assert got == "Extra Yield Zone (EYZ), the EYZ of deep networks"


def test_find_method_reads_the_object_of_a_second_verb():
    """`we introduce and investigate X`: X is the object of both, not `and investigate X`."""
    abstract = "We introduce and formally investigate the question of adaptive estimation."
    assert find_method("T", abstract).text.startswith("the question of adaptive estimation")


def test_find_method_does_not_repeat_a_name_in_another_case():
    """`Tropical attention, ...` already names `Tropical Attention` from the title."""
    abstract = "We introduce Tropical attention, an attention function in the max-plus semiring."
    got = find_method("Tropical Attention: Reasoning for Algorithms", abstract).text
    assert got.lower().count("tropical attention") == 1


# ---------------------------------------------------------------- sentences


def test_split_sentences_keeps_offsets_and_abbreviations():
    """Sentences keep their offsets and do not break after `e.g.` or `et al.`."""
    text = "We use e.g. GPUs as in Cai et al. (2022). Then we stop. 3D is next."
    sents = split_sentences(text)
    assert [s.text for s in sents] == [
        "We use e.g. GPUs as in Cai et al. (2022).",
        "Then we stop.",
        "3D is next.",
    ]
    assert all(text[s.start : s.end] == s.text for s in sents)


@pytest.mark.parametrize("stops", ["?!.", "..."])
def test_split_sentences_ends_at_each_stop_whichever_stops_the_text_holds(stops):
    """A text without `!` or `?` is split by a pattern for `.` alone: the same splits."""
    text = "Is it fast{} Yes{} It is 3.5x faster{} 2D is next.".format(*stops)
    assert [s.text for s in split_sentences(text)] == [
        f"Is it fast{stops[0]}", f"Yes{stops[1]}", f"It is 3.5x faster{stops[2]}", "2D is next."
    ]


def test_words_answers_as_the_set_of_stripped_words_does():
    """`Words` finds each word asked in the text: it agrees with the set of the text's
    stripped words it replaces, for edges, spaces and the empty word, before and
    after it gives up finding and builds that set."""
    rng = random.Random(7)
    alphabet = "aAb.,;:()[]'\" \t\n\u00a0x-"
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        expected = {w.strip(Words.EDGE) for w in text.split()}
        words = Words(text)
        for _ in range(rng.choice([1, 8, 60])):  # 60 asks run past the finds allowed
            asked = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 4)))
            if expected and rng.random() < 0.5:
                asked = rng.choice(sorted(expected))
            assert (asked in words) == (asked in expected), (text, asked)


@pytest.mark.parametrize(
    ("text", "words", "expected"),
    [
        ("a Novel method", ("novel",), True),
        ("a method", ("novel",), False),
        ("a ſimple method", ("simple",), True),  # case-blind `s` matches the long s
        ("İ", ("i",), True),
    ],
)
def test_may_hold_rules_out_only_ascii_text_without_the_words(text, words, expected):
    """A pattern run case-blind equates some other letters with ASCII ones, so only
    ASCII text that lacks every word, in any case, is ruled out."""
    assert may_hold(text, words) is expected


# ---------------------------------------------------------------- the whole paper

ABSTRACT = (
    "Learning neural operators needs much data. We propose Sorting Krylov Recycling (SKR), "
    "which sorts linear systems and recycles Krylov subspaces. On the PDEBench dataset and "
    "ImageNet, SKR achieves a remarkable speedup of up to 13.9 times over SciPy on a single "
    "NVIDIA A100 GPU, and uses 4x less memory."
)
TITLE = "SKR: Accelerating Data Generation for Neural Operators"


def test_extract_spans_fills_every_field():
    """One paper gives task, method, speedups, hardware and datasets."""
    got = extract_spans(TITLE, ABSTRACT)
    s = got.summary
    assert s.task == "accelerating data generation for neural operators" or s.task
    assert s.method.startswith("Sorting Krylov Recycling (SKR)")
    assert [(x.factor, x.baseline) for x in s.speedups] == [(13.9, "SciPy")]
    assert s.hardware == ["NVIDIA A100"]
    assert s.datasets == ["PDEBench", "ImageNet"]


def test_extract_spans_offsets_point_at_every_item():
    """Every item's span slices the text it came from out of the title or abstract."""
    got = extract_spans(TITLE, ABSTRACT)
    sources = {"title": TITLE, "abstract": ABSTRACT}
    for item, span in zip(got.summary.speedups, got.speedups, strict=True):
        assert ABSTRACT[span.start : span.end] == item.text
    for name, span in zip(got.summary.hardware, got.hardware, strict=True):
        assert ABSTRACT[span.start : span.end] == name
    for name, span in zip(got.summary.datasets, got.datasets, strict=True):
        assert ABSTRACT[span.start : span.end] == name
    for span in (got.task, got.method):
        assert 0 <= span.start < span.end <= len(sources[span.source])


@pytest.mark.parametrize("title, abstract", [
    ("", "..."), ("", "!!!"), ("", "?"), ("", "We propose."), ("", "$$ $$"),
    ("", "\\cite{x} \\emph{}"), (r"\textbf{}", "$$"), (r"\textbf{}", "....a"),
    (",", "%?_}.>?@$\\:}`*:"), ("", r"\[\] \(\)"), ("Title", "$$"),
])
def test_text_with_no_word_to_take_still_gives_a_task_and_a_method(title, abstract):
    """Only LaTeX or punctuation: the first words of the title, else the abstract, not a
    blank field that the schema refuses; each span slices its source."""
    got = extract_spans(title, abstract)
    sources = {"title": title, "abstract": abstract}
    for text, span in ((got.summary.task, got.task), (got.summary.method, got.method)):
        assert text.strip()
        assert 0 <= span.start < span.end <= len(sources[span.source])
    assert RulesBackend(BackendConfig()).complete(_request(title, abstract)).summary.task


def test_a_papers_own_name_makes_its_speed_claim_computational():
    """`Stellar Flow runs 3 times faster`: the name the title gives the method is a
    computational subject, while the same abstract's finding about a star is not."""
    abstract = ("We present Stellar Flow, which classifies stellar spectra. We find that the "
                "star rotates 3 times faster than the Sun. Stellar Flow runs 3 times faster "
                "than a human expert.")
    got = extract_spans("Stellar Flow: Classifying Spectra", abstract).summary.speedups
    assert [(s.factor, s.baseline) for s in got] == [(3.0, "a human expert")]


def test_extract_spans_is_deterministic():
    """The same paper gives the same answer every time."""
    assert extract_spans(TITLE, ABSTRACT) == extract_spans(TITLE, ABSTRACT)


@pytest.mark.parametrize(
    ("title", "abstract"),
    [
        ("", ""),
        ("Title", ""),
        ("İstanbul: A Title", "İİ we propose a method 3x faster. ß"),
        ("A: B", "(((( 2x ))))"),
        ("T", "We propose X. " * 200),
    ],
)
def test_extract_spans_survives_odd_input(title, abstract):
    """Empty, non-ASCII, bracket-only and very long inputs give a valid summary."""
    assert isinstance(extract_spans(title, abstract).summary, PaperSummary)


def test_extract_spans_handles_an_empty_title():
    """A paper with no title still gets a task, read from the abstract."""
    got = extract_spans("", ABSTRACT)
    assert got.summary.task and got.task.source == "abstract"
    assert 0 <= got.task.start < got.task.end <= len(ABSTRACT)


# Without a title, the topic each convention of an abstract's opening gives.
TOPICS = [
    # a stated problem in the opening sentences
    ("Many tools exist. We study the problem of learning linear dynamical systems.",
     "learning linear dynamical systems"),
    # else the subject of the first sentence, up to its verb
    ("Second-order optimizers have low regret. We propose X.", "second-order optimizers"),
    # after an opening subordinate clause's conjunction
    ("While multitask representation learning has become popular, little is known.",
     "multitask representation learning"),
    # after a leading phrase closed by a comma, and an adverb
    ("Unlike prior analyses, recently sparse linear systems arise everywhere.",
     "sparse linear systems"),
    # vague determiners are dropped; acronyms and proper names keep their case
    ("Modern large language models (LLMs) cost a lot.", "large language models"),
    ("Krylov subspace recycling is fast. We extend Krylov methods.", "Krylov subspace recycling"),
    # a sentence about the paper itself, or one that points back, gives no topic
    ("We present TailorNet. Clothing deformation models are slow.",
     "clothing deformation models"),
    ("These systems are hard. Graph neural networks are widely used.", "graph neural networks"),
    # quantity and progress heads are not the topic; a cut never ends on `of` or `with`
    ("Recent advances in large language models have changed NLP.", "large language models"),
    ("A wide range of scientific problems have stiff dynamics.", "scientific problems"),
    ("The near-horizon limit of all such p-brane solutions with flux becomes simple.",
     "near-horizon limit of all such p-brane solutions"),
    # a stated problem cut at 8 words does not end on its `and`
    ("We study sparse solvers for linear systems from PDEs and report runs.",
     "sparse solvers for linear systems from PDEs"),
    # "In this study" announces the paper as "In this paper" does
    ("In this study we explore optimization of laser pulses.", "optimization of laser pulses"),
    # a problem statement deep in the abstract loses to the opening's subject
    ("Neural operators are popular. They are fast. They are cheap. We study the problem "
     "of data reuse.", "neural operators"),
]


@pytest.mark.parametrize(("abstract", "topic"), TOPICS)
def test_find_topic_reads_the_task_from_the_opening(abstract, topic):
    got = find_topic(abstract)
    assert got.text == topic
    assert got.source == "abstract" and 0 <= got.start < got.end <= len(abstract)


def test_find_method_without_a_title_or_proposal_reads_what_the_paper_does():
    """With no `we propose` clause and no title, the first `we <verb> (that) X`
    sentence gives X; the background opening does not."""
    abstract = ("Quantum algorithms are of general interest. In this paper, we show that "
                "quantum lower bounds are tight. They are.")
    got = find_method("", abstract)
    assert got.text == "quantum lower bounds are tight"
    assert abstract[got.start : got.end].startswith(got.text)
    assert find_method("", "Quantum algorithms are of general interest.").text == (
        "Quantum algorithms are of general interest")


def test_find_topic_falls_back_to_the_first_sentence():
    """With no convention to go on, the first sentence is read as a title."""
    got = find_topic("We show it. We do.")
    assert got.text and got.source == "abstract"


def test_find_topic_falls_back_to_what_the_first_sentence_presents():
    """`In this paper, we present X` reads as the title X, not as `in this paper, we
    present X`; and a long sentence is cut at a word, never inside one."""
    got = find_topic("In this paper, we present TailorNet, a neural model which predicts "
                     "clothing deformation. It is fast.")
    assert not got.text.lower().startswith(("in this paper", "we present"))
    assert got.text.startswith("TailorNet")
    long = ("Shampoo is an online and stochastic optimization algorithm belonging to the "
            "AdaGrad family of methods for training neural networks. We do. It is.")
    assert find_topic(long).text.split()[-1] in long.split()


# ---------------------------------------------------------------- the backend seam


def _request(title: str, abstract: str) -> Request:
    return Request(
        title=title,
        abstract=abstract,
        system="",
        user="",
        prompt_hash="h",
        schema_hash="s",
        sampling=Sampling(),
        max_reasks=0,
    )


def test_rules_backend_returns_a_completion_with_no_model_and_no_usage():
    """`complete()` gives the PaperSummary, zero usage, no re-asks and no model."""
    backend = RulesBackend(BackendConfig(model="ignored", api_key="ignored"))
    got = backend.complete(_request(TITLE, ABSTRACT))
    assert isinstance(got.summary, PaperSummary)
    assert got.model is None and got.reasks == 0 and got.usage.total_tokens == 0
    assert got.summary == extract_spans(TITLE, ABSTRACT).summary


def test_rules_backend_identity_names_its_version_and_is_not_cached():
    """The identity carries the rules version; the backend opts out of the cache."""
    backend = RulesBackend(BackendConfig())
    assert backend.name == "rules" and backend.cacheable is False
    assert backend.identity()["version"] == RULES_VERSION


def test_rules_backend_answer_passes_grounded_validation():
    """Every speedup quote is found in the abstract by the schema's own check."""
    summary = RulesBackend(BackendConfig()).complete(_request(TITLE, ABSTRACT)).summary
    PaperSummary.model_validate(summary.model_dump(), context={"abstract": ABSTRACT})


# ---------------------------------------------------------------- real dumps


def _papers() -> list[tuple[str, str]]:
    if not DUMPS.is_dir():
        pytest.skip("shared/dumps is not beside the repository")
    papers = [(r.title, r.abstract) for r in read(sorted(DUMPS.glob("*.txt")), fmt="text")]
    return papers


def _find(papers, needle: str) -> tuple[str, str]:
    return next(p for p in papers if needle in p[1])


def test_every_dump_abstract_gives_a_valid_grounded_summary():
    """Over all dumps, each answer validates with its abstract as context."""
    papers = _papers()
    assert len(papers) > 500
    for title, abstract in papers:
        summary = extract_spans(title, abstract).summary
        PaperSummary.model_validate(summary.model_dump(), context={"abstract": abstract})
        assert 1 <= len(summary.method.split()) <= 15


def test_dump_krylov_recycling_speedup():
    """The SKR abstract claims a speedup of up to 13.9 times."""
    _, abstract = _find(_papers(), "achieving a remarkable speedup of up to 13.9 times")
    got = extract_spans("", abstract).summary.speedups
    assert [(s.factor, s.factor_max) for s in got] == [(13.9, None)]


def test_dump_special_functions_has_eight_speedups_and_gpu_cpu():
    """`median and maximum speedups of 45x and 6150x for GPU and 17x and 3403x for CPU`."""
    _, abstract = _find(_papers(), "45x and 6150x for GPU")
    got = extract_spans("", abstract).summary
    assert [s.factor for s in got.speedups] == [45, 6150, 17, 3403, 77, 300, 35, 98]
    assert {s.baseline for s in got.speedups[4:]} == {"SciPy"}
    assert got.hardware == ["GPU", "CPU"]


def test_dump_memory_only_claim_gives_no_speedup():
    """`a fourfold reduction in GPU memory footprint` is hardware but not a speedup."""
    _, abstract = _find(_papers(), "fourfold reduction in GPU memory footprint")
    got = extract_spans("", abstract).summary
    assert got.speedups == []
    assert "GPU" in got.hardware


def test_dump_nas_abstract_reads_gpu_hours_and_datasets():
    """`about 200 GPU-hours` is GPU; CIFAR-10 and ImageNet are datasets."""
    _, abstract = _find(_papers(), "about 200 GPU-hours")
    got = extract_spans("", abstract).summary
    assert got.hardware == ["GPU"]
    assert got.datasets == ["CIFAR-10", "ImageNet"]


SOFT = "\u00ad"  # a soft hyphen: invisible, where a word may break


def test_soft_hyphens_and_zero_width_characters_inside_words_are_read_past():
    """Text copied from a web page carries soft hyphens inside words: `A\\u00ad100`
    gave the class `GPU` for the device, `6\\u00adfold` and `Image\\u00adNet` gave
    nothing, and the method kept the invisible characters. They read as the words
    they are, quotes stay verbatim slices, and every span is in the text as given."""
    plain = ("We propose FlashX, an accelerator for sparse attention. On A100 GPUs it is "
             "6-fold faster than FlashAttention and reaches a 3.5x speedup over PyTorch on "
             "ImageNet and CIFAR-10.")
    hidden = (plain.replace("accelerator", f"ac{SOFT}cel{SOFT}er\u200ba{SOFT}tor")
              .replace("A100", f"A{SOFT}100").replace("6-fold", f"6{SOFT}fold")
              .replace("faster", "fas\u2060ter").replace("speedup", f"speed{SOFT}up")
              .replace("ImageNet", f"Image{SOFT}Net").replace("CIFAR", "CI\u200bFAR"))
    title = "FlashX: fast sparse attention"
    want, got = extract_spans(title, plain), extract_spans(title, hidden)
    assert got.summary.hardware == ["A100"] and got.summary.datasets == ["ImageNet", "CIFAR-10"]
    assert got.summary.method == want.summary.method and SOFT not in got.summary.method
    assert [(s.factor, s.baseline) for s in got.summary.speedups] == [
        (s.factor, s.baseline) for s in want.summary.speedups] and len(want.summary.speedups) == 2
    for span, speedup in zip(got.speedups, got.summary.speedups, strict=True):
        assert hidden[span.start:span.end] == speedup.text
    assert [hidden[s.start:s.end] for s in got.hardware + got.datasets] == [
        f"A{SOFT}100", f"Image{SOFT}Net", "CI\u200bFAR-10"]
    edge = f"On {SOFT}A100 GPUs."  # an invisible character at its edge stays out of a span
    assert [edge[s.start:s.end] for s in extract_spans(title, edge).hardware] == ["A100"]
