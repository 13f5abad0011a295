"""Real files for the demo: PDF (reportlab), DOCX (python-docx), XLSX (openpyxl), CSV and text.

body.py is a neutral document body; pdf.py, office.py and text.py render it, one function per format.
"""
