"""Composers: the business documents themselves (sales contracts, tenders, quotes, brochures, reports),
written as document bodies or workbooks from the data the seed plan chose. Pure functions of their
arguments, so the same plan gives the same bytes.
"""
