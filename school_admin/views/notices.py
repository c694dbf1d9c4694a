"""(being written: issue 5)"""
