"""graphcl.eval"""
