"""K-Data Catalog: licensing of Korean public datasets to the foundation-model teams."""
