"""Kit layers: thin classes over the kernels, with Keras's constructor arguments.

One module per family; every public layer is importable from here.
"""
from .base import InputSpec, Layer
from .core import Activation, Dense, LeakyReLU, ReLU, Softmax
from .activation import ELU, PReLU
from .merging import Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract
from .conv import (Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose, Conv3D, Conv3DTranspose,
                   DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D)
from .embedding import Embedding
from .normalization import BatchNormalization, LayerNormalization
from .pooling import (AveragePooling1D, AveragePooling2D, AveragePooling3D, GlobalAveragePooling1D,
                      GlobalAveragePooling2D, GlobalAveragePooling3D, GlobalMaxPooling1D,
                      GlobalMaxPooling2D, GlobalMaxPooling3D, MaxPooling1D, MaxPooling2D,
                      MaxPooling3D)
from .regularization import Dropout, SpatialDropout1D, SpatialDropout2D
from .recurrent import GRU, LSTM, SimpleRNN
from .reshaping import Flatten, Reshape
from .rnn import RNN, GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells
from .wrappers import Bidirectional, TimeDistributed
from .convlstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from .feature_normalization import GroupNormalization, Normalization, Rescaling
from .noise import (ActivityRegularization, AlphaDropout, GaussianDropout, GaussianNoise,
                    SpatialDropout3D)
from .adaptive_pooling import (AdaptiveAveragePooling1D, AdaptiveAveragePooling2D,
                               AdaptiveAveragePooling3D, AdaptiveMaxPooling1D, AdaptiveMaxPooling2D,
                               AdaptiveMaxPooling3D)
from .shape import Identity, Lambda, Masking, Permute, RepeatVector
from .resampling import (Cropping1D, Cropping2D, Cropping3D, UpSampling1D, UpSampling2D,
                         UpSampling3D, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D)

__all__ = ["InputSpec", "Layer", "Activation", "Dense", "LeakyReLU", "ReLU", "Softmax"]
__all__ += ["BatchNormalization", "LayerNormalization", "AveragePooling1D", "AveragePooling2D",
            "AveragePooling3D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
            "GlobalAveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
            "GlobalMaxPooling3D", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "Dropout",
            "SpatialDropout1D", "SpatialDropout2D", "Flatten", "Reshape"]
__all__ += ["Embedding", "GRU", "LSTM", "SimpleRNN"]
__all__ += ["Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
            "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D"]
__all__ += ["Add", "Average", "Concatenate", "Multiply", "Subtract"]
from .attention import (AdditiveAttention, Attention, EinsumDense, GroupQueryAttention,
                        MultiHeadAttention)
__all__ += ["AdditiveAttention", "Attention", "EinsumDense", "GroupQueryAttention",
            "MultiHeadAttention"]
from .embedding import PositionEmbedding
from .reversible_embedding import ReversibleEmbedding
from .spectral_normalization import SpectralNormalization
from .normalization import RMSNormalization, UnitNormalization
__all__ += ["PositionEmbedding", "RMSNormalization", "UnitNormalization"]
__all__ += ["ReversibleEmbedding", "SpectralNormalization"]
__all__ += ["RNN", "GRUCell", "LSTMCell", "SimpleRNNCell", "StackedRNNCells", "Bidirectional", "TimeDistributed"]
__all__ += ["ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"]
__all__ += ["ELU", "PReLU"]
__all__ += ["Dot", "Maximum", "Minimum"]
__all__ += ["Cropping1D", "Cropping2D", "Cropping3D", "UpSampling1D", "UpSampling2D", "UpSampling3D",
            "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D"]
__all__ += ["Identity", "Lambda", "Masking", "Permute", "RepeatVector"]
__all__ += ["GroupNormalization", "Normalization", "Rescaling"]
__all__ += ["ActivityRegularization", "AlphaDropout", "GaussianDropout", "GaussianNoise", "SpatialDropout3D"]
__all__ += ["AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
            "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D"]

# Keras's other names for the same classes (keras.layers.MaxPool2D is MaxPooling2D)
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (GlobalAveragePooling1D, GlobalAveragePooling2D,
                                                     GlobalAveragePooling3D)
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = (GlobalMaxPooling1D, GlobalMaxPooling2D,
                                                     GlobalMaxPooling3D)
Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
Convolution1DTranspose, Convolution2DTranspose, Convolution3DTranspose = (
    Conv1DTranspose, Conv2DTranspose, Conv3DTranspose)
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D
ALIASES = ["AvgPool1D", "AvgPool2D", "AvgPool3D", "MaxPool1D", "MaxPool2D", "MaxPool3D",
           "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D", "GlobalMaxPool1D",
           "GlobalMaxPool2D", "GlobalMaxPool3D", "Convolution1D", "Convolution2D", "Convolution3D",
           "Convolution1DTranspose", "Convolution2DTranspose", "Convolution3DTranspose",
           "SeparableConvolution1D", "SeparableConvolution2D"]
__all__ += ALIASES
