"""course_lib: the companion package of the course "Neural networks and large models".

A small multilayer perceptron in NumPy, with the loss functions, optimizers, training loop, metrics and checks
that the chapters derive. Every public name is importable from here::

    from course_lib import MLP, fit, Adam, MLPClassifier

Importing course_lib has no side effects: no global random seed, no logging set-up, no downloads.
"""

from . import activations, layers, losses
from .gradcheck import check_model_gradients, gradcheck, numerical_gradient, relative_error
from .model import MLP

# --- optimizers and training (course_lib/optimizers.py, course_lib/training.py)
from .optimizers import SGD, Adam, Optimizer, RMSprop
from .training import EarlyStopping, History, TrainingDivergedError, fit
# --- metrics (course_lib/metrics.py)
from . import metrics
from .metrics import accuracy, confusion_matrix, f1, perplexity, precision, recall, roc_auc, roc_curve
# --- estimator, datasets, plots (course_lib/estimator.py, course_lib/datasets.py, course_lib/plots.py)
from . import datasets, plots
from .estimator import MLPClassifier

__version__ = "0.1.0"
