import sys

from keras_initact.cli import main

sys.exit(main())
