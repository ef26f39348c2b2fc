"""Names that are never datasets: models and methods, equations and physical
systems, and words that only look like names at the start of a list.

Why a module of its own: these are reviewable word lists, not rules; the
dataset patterns (`datasets.py`) consult them before reporting a name.
"""

from __future__ import annotations

# Never datasets: models and methods, equations and physical systems, and words that
# only look like names at the start of a list.
# fmt: off
MODEL_PREFIXES = (
    "ResNet", "ResNeXt", "WideResNet", "Wide-ResNet", "WRN", "VGG", "ViT", "DeiT", "Swin",
    "BERT", "RoBERTa", "DistilBERT", "ALBERT", "DeBERTa", "ELECTRA", "GPT", "ChatGPT",
    "LLaMA", "Llama", "Mistral", "Mixtral", "Qwen", "Gemma", "Gemini", "Claude", "PaLM",
    "OPT", "BLOOM", "Falcon", "Vicuna", "Phi", "CLIP", "BLIP", "T5", "BART", "DALL",
    "Stable Diffusion", "SDXL", "Imagen", "U-Net", "UNet", "Transformer", "LSTM", "GRU",
    "MLP", "CNN", "RNN", "GNN", "GCN", "GAT", "GIN", "GraphSAGE", "AlphaFold", "AlphaGo",
    "AlphaZero", "MuZero", "DQN", "PPO", "SAC", "TD3", "DDPG", "Adam", "AdamW", "SGD",
    "K-FAC", "L-BFGS", "Shampoo", "EfficientNet", "MobileNet", "ShuffleNet", "DenseNet",
    "Inception", "AlexNet", "LeNet", "YOLO", "DETR", "Mask R-CNN", "Faster R-CNN", "SAM",
    "DINO", "MAE", "SimCLR", "MoCo", "BYOL", "NeRF", "PointNet", "FNO", "DeepONet", "PINN",
    "PINNs", "Whisper", "wav2vec", "HuBERT", "Conformer", "ConvNeXt", "MLP-Mixer", "Mamba",
    "S4", "RWKV", "Hyena", "FlashAttention", "vLLM", "PyTorch", "TensorFlow", "JAX", "SciPy",
    "NumPy", "CUDA", "Triton", "XLA", "LLVM", "ColBERT", "GloVe", "word2vec", "ELMo",
    "Codex", "StarCoder", "CodeLlama", "DeepSeek", "Glow", "RealNVP", "BigGAN", "StyleGAN",
    "DDPM", "DDIM", "EDM", "VAE", "VQ-VAE", "GAN", "LoRA", "QLoRA", "KAN", "KANs", "T2T",
)
# fmt: on
# fmt: off
NOT_DATA = {
    "Navier-Stokes", "Burgers", "Darcy", "Lorenz", "Lorenz96", "Lorenz-96", "KdV",
    "Kuramoto-Sivashinsky", "Allen-Cahn", "Cahn-Hilliard", "Poisson", "Helmholtz",
    "Schrödinger", "Schrodinger", "Maxwell", "Euler", "Gray-Scott", "Brusselator",
    "Kolmogorov", "Rayleigh-Bénard", "Korteweg-de", "Hernquist", "Navarro-Frenk-White",
    "The", "This", "These", "Our", "We", "In", "On", "For", "Both", "All", "Each",
    "Extensive", "Experiments", "Experimental", "Results", "Empirical", "Numerical",
    "Several", "Multiple", "Various", "Many", "Public", "Real", "Synthetic", "Standard",
    "Popular", "Large", "New", "Novel", "Existing", "Benchmark", "Dataset", "Datasets",
    "Benchmarks", "English", "Chinese", "German", "French", "Japanese", "Image", "Text",
    "Graph", "Video", "Audio", "Tabular", "Medical", "Additionally", "Moreover", "Finally",
    "Furthermore", "However", "Specifically", "Notably", "Further", "Also", "Across",
    "Using", "Through", "With", "By", "To", "Then", "Here", "Code", "OOD", "ID", "RL",
    "SOTA", "AI", "ML", "NLP", "CV", "LLM", "LLMs", "PDE", "PDEs", "ODE", "ODEs", "MTL",
    "CL", "DL", "DNN", "DNNs", "2D", "3D", "1D", "4D", "TS", "HPC", "II", "III", "IV",
    "Euclidean", "Riemannian", "Gaussian", "Bayesian", "Hilbert", "Banach", "Lipschitz",
    "Markov", "Bregman", "Fourier", "Hessian", "Jacobian", "Laplacian", "Wasserstein",
    "Langevin", "Monte", "Carlo", "Boolean", "Hamiltonian", "Lagrangian", "Newton",
    "Bulgarian", "Spanish", "Italian", "Russian", "Arabic", "Hindi", "Korean", "Portuguese",
    "Dutch", "Turkish", "Vietnamese", "Indonesian", "Polish", "Swahili", "Greek", "Hebrew",
    "Persian", "Thai", "Urdu", "Bengali", "Czech", "Finnish", "Swedish", "Ukrainian",
    "Romanian", "Hungarian", "Danish", "Norwegian", "Latin", "Yoruba", "Amharic",
    "GPU", "GPUs", "CPU", "CPUs", "TPU", "QA", "VQA", "NLI", "ASR", "TTS", "UCI-like",
    "Top-1", "Top-5", "FID", "IS", "BLEU", "ROUGE", "AUC", "F1", "MSE", "PSNR", "SSIM",
}
# fmt: on


def is_model(name: str) -> bool:
    """`ResNet-50`, `ResNets20`, `GPT-4`: a model's name and its variants; not `Phi`-
    or `Adam`-prefixed words that go on in lower case (`Philosophy`, `Adamic`)."""
    if not name.startswith(MODEL_PREFIXES):  # one C call rejects almost every name
        return False
    for p in MODEL_PREFIXES:
        if name.startswith(p):
            rest = name[len(p) :].removeprefix("s")  # "ResNets20" is a ResNet too
            if not rest or not rest[0].islower():
                return True
    return False
