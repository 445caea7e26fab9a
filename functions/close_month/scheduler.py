def handler(e,c): return {}
