from .dataset import Dataset
from .mnist import load_embedded_mnist, load_idx_dataset, load_image_dataset, read_idx
from .tabular import breast_cancer, diabetes, known_truth, seed_binary, wine

__all__ = ["Dataset", "load_embedded_mnist", "load_idx_dataset", "load_image_dataset",
           "read_idx", "breast_cancer", "diabetes", "known_truth", "seed_binary", "wine"]
