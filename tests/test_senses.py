"""Names and devices in abstracts from outside machine learning: each decoy is a
sentence of the kind physics, biology, medicine or economics abstracts write, and
each keeper is the machine-learning use that must go on working."""

from __future__ import annotations

import time

import pytest

from extractor.rules.datasets import find_datasets
from extractor.rules.hardware import find_hardware
from extractor.rules.summary import extract_spans


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
    ("Results on Weather, Traffic and Electricity improve.", ["Weather", "Traffic", "Electricity"]),
    ("Experiments conducted on Reddit show gains.", ["Reddit"]),
    ("We pre-train on ZINC and fine-tune on QM9.", ["ZINC", "QM9"]),
    ("We train GPT-2 on OpenWebText and the Pile.", ["OpenWebText", "Pile"]),
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


# ---------------------------------------------------------------- devices

EVERYDAY_OBJECTS = [
    "We study mobile phone adoption among smallholder farmers in Uganda.",
    "Smartphone data from 2 million users were analysed.",
    "Households with smartphones recovered from shocks twice as fast.",
    "Students who used laptops in class scored lower on the final exam.",
    "Plan Ceibal provided a laptop to every primary school student.",
    "Gate-defined quantum devices in bilayer graphene offer a platform for qubits.",
    "The ASIC and SEC filings of listed firms reveal relocation of supply chains.",
    "Health workers were trained to use mobile phones.",
]


@pytest.mark.parametrize("text", EVERYDAY_OBJECTS)
def test_a_device_people_own_is_no_hardware_unless_the_sentence_computes_on_it(text):
    """`mobile phone adoption`, `students who used laptops`: the object of study."""
    assert hardware(text) == []


DEVICES_COMPUTED_ON = [
    ("Inference runs in 20 ms on mobile phones.", ["mobile phones"]),
    ("Computations in Macaulay2 on a laptop verify the conjecture.", ["laptop"]),
    ("We execute the circuits on near-term quantum devices.", ["quantum computer"]),
    ("The pipeline processes a section in 4 minutes on a laptop.", ["laptop"]),
    ("Readout is done by a dedicated ASIC design.", ["ASIC"]),
    ("The model can be trained on a laptop in ten minutes.", ["laptop"]),
    ("It reaches 30 fps on a smartphone.", ["mobile phones"]),
    ("Efficient CNNs for mobile phones.", ["mobile phones"]),
    ("Our ASIC accelerator achieves 10 TOPS/W in 28nm.", ["ASIC"]),
]


@pytest.mark.parametrize(("text", "expected"), DEVICES_COMPUTED_ON)
def test_a_device_people_own_is_hardware_when_the_sentence_computes_on_it(text, expected):
    """Running, executing, computing or processing on it makes it the compute."""
    assert hardware(text) == expected


PARTICLE_ACCELERATORS = [
    "The accelerator hardware, including magnets and RF cavities, was commissioned.",
    "The tests were performed on accelerators at CERN and DESY.",
    "We design photonic accelerators that accelerate 30 keV electrons by 20%.",
]


@pytest.mark.parametrize("text", PARTICLE_ACCELERATORS)
def test_an_accelerator_of_particles_is_no_hardware(text):
    """A sentence about beams, particles or RF cavities means a particle accelerator."""
    assert hardware(text) == []


SPELLED_OTHERWISE = [
    "Thermoplastic polyurethane (TPU) lattices absorb energy. We print TPU lattices.",
    "We analyse tweets about the Marvel Cinematic Universe (MCU). MCU releases trend.",
    "Australian Securities and Investments Commission (ASIC) enforcement actions rose.",
    "We use the Inter-Parliamentary Union (IPU) database. Using IPU data, we show more.",
    "Ultra-high-strength AerMet 100 (A100) steel is used. We treat A100 specimens.",
]


@pytest.mark.parametrize("text", SPELLED_OTHERWISE)
def test_an_acronym_the_abstract_spells_out_as_something_else_is_no_device(text):
    """`Thermoplastic polyurethane (TPU)`: the abstract says what it means, everywhere."""
    assert hardware(text) == []


def test_an_acronym_spelled_out_as_the_device_is_still_the_device():
    """`tensor processing units (TPUs)` and `a GPU (A100)` are definitions of hardware."""
    assert hardware("We train on tensor processing units (TPUs).") == ["TPU"]
    assert hardware("We train on a single GPU (A100).") == ["GPU", "A100"]


OTHER_THINGS_BY_DEVICE_NAMES = [
    "Snapdragon and Trillium populations translocated to higher plots were monitored.",
    "Following the approach of Jetson and Moore, we prove a Poincare inequality.",
    "Graviton scattering amplitudes are computed at two loops.",
    "We graft Apple M4 rootstocks in the orchard.",
    "Sycamore trees dominate the riparian stands.",
    "We 3D print TPU and PLA specimens and test their tensile strength.",
    "The P100 latency of the visual evoked potential was prolonged.",
    "We describe the reconstruction software, implemented in the Gaudi framework.",
]


@pytest.mark.parametrize("text", OTHER_THINGS_BY_DEVICE_NAMES)
def test_a_device_name_another_field_uses_needs_an_abstract_about_computing(text):
    """Plants, surnames, particles and rootstocks: a `compute` row counts bare only in an
    abstract that talks about computing; `P100` needs a vendor or `GPU`; a `framework`
    after a name makes it a program."""
    assert hardware(text) == []


DEVICE_NAMES_KEPT = [
    ("We deploy the detector on a Jetson with real-time latency.", ["Jetson"]),
    ("Latency is measured on a Qualcomm Snapdragon.", ["Qualcomm Snapdragon"]),
    ("We run circuits on Google's Sycamore processor.", ["Sycamore"]),
    ("Inference runs on an Apple M4 at 30 fps.", ["Apple M4"]),
    ("Training takes 3 days on 64 TPUs.", ["TPU"]),
    ("The model trains on TPUs in 4 hours.", ["TPU"]),
    ("It runs on a Tesla P100 GPU.", ["Tesla P100"]),
    ("The pipeline processes a section on an Apple M1 laptop.", ["Apple M1", "laptop"]),
]


@pytest.mark.parametrize(("text", "expected"), DEVICE_NAMES_KEPT)
def test_a_device_name_another_field_uses_counts_beside_computing(text, expected):
    """A vendor word, a device word or an abstract about computing keeps the device."""
    assert hardware(text) == expected


NEW_DEVICES = [
    ("We run on the Fugaku supercomputer with A64FX processors.", ["Fugaku", "A64FX"]),
    ("Our code runs on an NVIDIA GeForce GTX 1650 and on a Tesla K20X.",
     ["NVIDIA GeForce GTX 1650", "Tesla K20X"]),
    ("Scaling runs on Perlmutter, Piz Daint and JUWELS Booster.",
     ["Perlmutter", "Piz Daint", "JUWELS Booster"]),
    ("We use the Frontier supercomputer's AMD MI250X GPUs.", ["Frontier", "AMD MI250X"]),
    ("Frontier models are expensive to serve.", []),
    ("It runs on an AMD Instinct MI300A and an NVIDIA Grace Hopper Superchip.",
     ["AMD Instinct MI300A", "NVIDIA Grace Hopper Superchip"]),
    ("We thank Grace Hopper for the idea.", []),
    ("Experiments ran on IBM POWER9 nodes.", ["IBM POWER9"]),
    ("Our code runs on an NVIDIA RTX 2060 laptop GPU.", ["NVIDIA RTX 2060"]),
    ("Kernels run on a Xilinx Alveo U55C card.", ["Xilinx Alveo U55C"]),
]


@pytest.mark.parametrize(("text", "expected"), NEW_DEVICES)
def test_find_hardware_reads_supercomputers_and_more_devices(text, expected):
    """Named supercomputers (a plain word needs `supercomputer` after it), more GPUs,
    a `laptop GPU` that is the device's, and a two-digit model number (`U55C`)."""
    assert hardware(text) == expected


# ---------------------------------------------------------------- other fields' collections

OTHER_FIELDS_COLLECTIONS = [
    ("Using astrometry from Gaia DR3 and 2MASS photometry, we derive ages.", ["Gaia DR3", "2MASS"]),
    ("We analysed accelerometer data from adults in the NHANES 2011-2014 cycles.", ["NHANES"]),
    ("Integrating the GTEx eQTL data, we link enhancers to genes.", ["GTEx"]),
    ("Integration with the Allen Brain Atlas reveals programs.", ["Allen Brain Atlas"]),
    ("On models from the posteriordb collection, the sampler is fast.", ["posteriordb"]),
    ("The SST data from HadISST show warming.", ["HadISST"]),
]


@pytest.mark.parametrize(("text", "expected"), OTHER_FIELDS_COLLECTIONS)
def test_find_datasets_reads_other_fields_surveys_and_databases(text, expected):
    """Sky surveys, health surveys, genomics and climate collections are named datasets."""
    assert datasets(text) == expected


# ---------------------------------------------------------------- linear time

# One 20,000-character sentence (or 2,500 short ones) of an ambiguous word: each check
# that read the whole sentence per mention took 1 to 12 s here.
REPEATED = ["HIV and ", "MATH data ", "MATH. ", "laptop ", "on mobile phones ", "( TPU) "]


@pytest.mark.parametrize("phrase", REPEATED)
def test_evidence_is_asked_once_per_sentence_not_once_per_mention(phrase):
    """A loose bound, far above the ~0.1 s these take, to catch a quadratic check."""
    abstract = (phrase * (20_000 // len(phrase)))[:20_000]
    start = time.perf_counter()
    extract_spans("T", abstract)
    assert time.perf_counter() - start < 2.0
