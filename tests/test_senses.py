"""Names and devices in abstracts from outside machine learning: each decoy is a
sentence of the kind physics, biology, medicine or economics abstracts write, and
each keeper is the machine-learning use that must go on working."""

from __future__ import annotations

import pytest

from extractor.rules.datasets import find_datasets
from extractor.rules.hardware import find_hardware


def datasets(text: str) -> list[str]:
    return [f.name for f in find_datasets(text)]


def hardware(text: str) -> list[str]:
    return [f.name for f in find_hardware(text)]


# ---------------------------------------------------------------- ambiguous dataset names

# A `context` name in a sentence that has data or experiments, but no dataset.
DATA_IS_NO_DATASET = [
    "Global fits to LHC Higgs data constrain the Wilson coefficients.",
    "Using surveillance data, the estimated HIV incidence fell.",
    "Using MR data acquired on two 3T scanners, we map the splenium.",
    "Deep HST data of the globular cluster M4 reach the cooling sequence.",
    "Archival data of M5 give a consistent result.",
    "Using remote-sensing data from the Solar Dynamics Observatory we map footpoints.",
    "We analyse CAPE and vertical wind shear in reanalysis data.",
    "We map PPI data for 332 host factors.",
    "In SMD experiments, unfolding forces decrease by 30%.",
    "We pool Texas and California data.",
    "Training uses the data of the CIFAR collaboration's compute allocation.",
]


@pytest.mark.parametrize("text", DATA_IS_NO_DATASET)
def test_an_ambiguous_name_needs_more_than_a_data_word(text):
    """`data`, `experiments`, `tested` alone do not make `Higgs`, `M4` or `SST` a dataset."""
    assert datasets(text) == []


AMBIGUOUS_DATASET_KEPT = [
    ("We evaluate on ETT and Weather.", ["ETT", "Weather"]),
    ("Experiments on MuJoCo show gains.", ["MuJoCo"]),
    ("The SPICE and QM9 pre-training data improve generalisation.", ["SPICE", "QM9"]),
    ("We pre-train on the C4 dataset.", ["C4"]),
    ("Results on PTB and WikiText-103 language modelling tasks.", ["PTB", "WikiText-103"]),
    ("Our model is tested on Cora, Citeseer and Pubmed.", ["Cora", "Citeseer", "Pubmed"]),
]


@pytest.mark.parametrize(("text", "expected"), AMBIGUOUS_DATASET_KEPT)
def test_an_ambiguous_name_counts_where_the_sentence_shows_a_dataset(text, expected):
    """A sentence about benchmarks, `experiments on X`, or a list with another known
    name in a sentence about data, makes an ambiguous name a dataset."""
    assert datasets(text) == expected


# Gazetteer names that are also words or acronyms of other fields, now `context` rows.
SCIENCE_WORDS = [
    "Kinetics of the oxygen evolution reaction were measured on Co3O4.",
    "Preterm birth affects 10% of pregnancies. The risk of PTB was 20% higher in smokers.",
    "We compare two optical lattice clocks at PTB and NPL.",
    "Using these data we estimate that C4 origins accelerated after the Oligocene.",
    "We show that pile driving and Pile foundations differ.",
    "We recorded 80 operations with a GoPro camera mounted on a headlight.",
    "We study the effect of Waymo's driverless service using probe vehicle data.",
    "Using BACE and kinase inhibitor libraries, we find 12 hits.",
    "We measured the Lipophilicity of 48 peptides.",
    "We combine Pathfinder and Curiosity data to map dust storms.",
    "Radiographs stored in the hospital PACS were reviewed.",
    "We thank Cora for help with the data.",
    "News articles distributed by Reuters were collected.",
]


@pytest.mark.parametrize("text", SCIENCE_WORDS)
def test_a_name_that_is_also_a_science_word_needs_a_dataset_sentence(text):
    """`Kinetics`, `PTB`, `C4`, `GoPro`: the word, the institute, the company; and no
    list spills over from them (`PTB and NPL`)."""
    assert datasets(text) == []


# ---------------------------------------------------------------- kinds of data, not names

KINDS_OF_DATA = [
    "We analysed two public EEG datasets recorded during motor imagery.",
    "We integrate 14 public scRNA-seq datasets from human tissues.",
    "We analysed two public PSG datasets of sleep recordings.",  # counted: any acronym
    "HRV datasets from wearables were pooled.",  # a bare plural: any acronym
    "COVID-19 datasets from 30 countries were combined.",
    "We address COVID-19 challenges in hospitals.",
    "The structures were refined against DFT benchmarks.",
    "The DFT benchmarks show that double hybrids do best.",
    "Two public EEG datasets and one MRI dataset were used for pre-training.",
    "We generated ChIP-seq, ATAC-seq and RNA-seq data sets for progenitor cells.",
    "The ECG dataset contains 10,000 recordings.",
    "We collected GPS datasets from 200 taxis.",
    "Simulations were run with the GROMACS suite.",
    "Calculations used the Quantum ESPRESSO suite on a cluster.",
    "Agenesis of the Corpus Callosum (ACC) was identified in 212 children.",
]


@pytest.mark.parametrize("text", KINDS_OF_DATA)
def test_a_modality_method_or_program_before_a_kind_word_is_no_dataset(text):
    """`two public EEG datasets`, `DFT benchmarks`, `the GROMACS suite`: what kind of data
    or which program, not which collection (LABELLING.md: unnamed data and software)."""
    assert datasets(text) == []


NAMED_COLLECTIONS = [
    ("On the GDSC and CCLE datasets DeepDR improves correlation.", ["GDSC", "CCLE"]),
    ("In experiments on the DIMACS benchmark instances our code is fast.", ["DIMACS"]),
    ("We evaluate on the FooBar datasets.", ["FooBar"]),
    ("The NHANES dataset contains 10,000 adults.", ["NHANES"]),
    ("The GMTKN55 database is used for validation.", ["GMTKN55"]),
    ("We retrieved records from the Web of Science database.", ["Web of Science"]),
    ("Data were retrieved from the NASA Exoplanet Archive.", ["NASA Exoplanet Archive"]),
]


@pytest.mark.parametrize(("text", "expected"), NAMED_COLLECTIONS)
def test_a_named_collection_before_a_kind_word_is_kept_whole(text, expected):
    """A list or an article names collections; a sentence-initial `The` is no part of
    the name, `of` joins two capitalised words, and a capitalised `Archive` ends one."""
    assert datasets(text) == expected


# ---------------------------------------------------------------- results in a quantity

QUANTITIES = [
    "Using panel data, we find a 2% decrease in GDP in treated regions.",
    "Using fleet data, we find a 20% reduction in CO2 emissions.",
    "Using claims data, we find a 3% rise in ESRD.",  # a change: any acronym
    "Using registry data, mortality fell by 23% in COVID-19 patients.",
    "Using imaging data, anisotropy was 6% lower in ADHD.",
    "Imports rose by 25% in the USA data.",
]


@pytest.mark.parametrize("text", QUANTITIES)
def test_a_change_in_a_quantity_is_no_result_on_a_dataset(text):
    """`a 2% decrease in GDP`: after a change, or before the noun it modifies, the name
    a percentage is `in` is what changed, not where it was measured."""
    assert datasets(text) == []


def test_a_result_in_a_benchmark_is_still_a_dataset():
    """`71.2% in FooQA-v2`: no change word, no noun after it."""
    assert datasets("Across benchmarks it reaches 71.2% in FooQA-v2.") == ["FooQA-v2"]
