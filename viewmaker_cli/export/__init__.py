"""What a saved run gives to people and other code: `vmk views` (figures of its views) and `vmk embed`
(features per split and the encoder's weights as safetensors)."""
