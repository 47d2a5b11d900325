"""Layer names of real models, for the heat map and grouping tests."""



def resnet50v2_names():
    """The layer names of Keras Applications' ResNet50V2, in order."""
    names = ["conv1_pad", "conv1_conv", "pool1_pad", "pool1_pool"]
    for stage, blocks in zip(range(2, 6), (3, 4, 6, 3)):
        for block in range(1, blocks + 1):
            p = f"conv{stage}_block{block}_"
            names += [p + "preact_bn", p + "preact_relu", p + "1_conv"]
            if block == 1:
                names.append(p + "0_conv")
            names += [p + s for s in ("1_bn", "1_relu", "2_pad", "2_conv",
                                      "2_bn", "2_relu", "3_conv", "out")]
    return names + ["post_bn", "post_relu", "avg_pool", "predictions"]


def factory_names(blocks, kinds=("dense", "act", "scale")):
    """A Sequential factory model: `dense_i, act_i, scale_i` per block."""
    names = [f"{kind}_{b}" for b in range(blocks) for kind in kinds]
    return names + ["head"]


def indexed(names):
    """Row labels as the callbacks pass them: `"37 act_37"`."""
    return [f"{i} {name}" for i, name in enumerate(names)]
