"""The pages of the documents app: public verification, and a signer's enrolment."""
