"""`keras_initact.study.command`: the resume command a study prints is the
command that ran, without `--fresh`, for the folder it wrote."""


def test_the_resume_command_is_this_one_without_fresh():
    from keras_initact.study.command import resume_command

    class Args:
        argv = ["compare", "--fresh", "--seeds", "0,1", "--output-dir",
                "old", "--output-dir=older", "--fr", "--out", "x y"]

    assert resume_command(Args, "runs/a b") == (
        "keras-initact compare --seeds 0,1 --output-dir 'runs/a b'")
