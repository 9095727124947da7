import bom_first
if x:
	import tab_indented
	if y:
	        import tab_spaces
import after_formfeed
