"""The published site: where each page goes, who can open it, encryption, attached files, the build."""
