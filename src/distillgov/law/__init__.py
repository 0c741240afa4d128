"""Rules as code: current US law and the proposed regime."""
