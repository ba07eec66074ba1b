import sys

from fusion_study.cli.parser import main

sys.exit(main())
