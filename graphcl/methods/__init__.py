"""graphcl.methods"""
