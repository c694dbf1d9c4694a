"""(being written: issue 4)"""
