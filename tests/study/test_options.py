"""`keras_initact.study.options`: the default output folder follows the
options that define the runs, and only those."""

from keras_initact.study import grid


def test_the_default_folder_follows_the_options_that_define_the_runs():
    from keras_initact.study.comparison import default_output_dir

    spec = {"name": "digits", "data_dir": None, "batch_size": 16,
            "limit": None}
    grid_ = (["lsuv"], ["tanh"], [1], [0], "lsuv")
    folder = default_output_dir(spec, grid.StudyOptions(), *grid_)
    assert folder == default_output_dir(dict(spec), grid.StudyOptions(),
                                        *grid_)
    others = [default_output_dir({**spec, "limit": 10}, grid.StudyOptions(),
                                 *grid_),
              default_output_dir(spec, grid.StudyOptions(epochs=3), *grid_),
              default_output_dir(spec, grid.StudyOptions(), ["lsuv"],
                                 ["tanh"], [1], [0, 1], "lsuv")]
    assert len({folder, *others}) == 4
