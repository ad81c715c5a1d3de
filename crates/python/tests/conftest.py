import sys
from pathlib import Path

# jsjson.py and the other helpers beside the tests.
sys.path.insert(0, str(Path(__file__).parent))
