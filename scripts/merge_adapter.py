"""Fold a LoRA adapter into its base and save a standalone model (with the tokenizer).

python scripts/merge_adapter.py outputs/DATE/TIME/model merged/
then: AutoModelForCausalLM.from_pretrained("merged") (or AutoModelForSequenceClassification)

The base comes from <adapter dir>/base/ when the run saved it (a model built from a config,
like tiny_llama), else from the checkpoint that adapter_config.json names.
"""

import argparse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("adapter_dir", help="a run's model/ directory (adapter_config.json)")
    parser.add_argument("output_dir", help="where the merged model and tokenizer go")
    args = parser.parse_args()

    from hydratune.groups.peft import merge_adapter  # heavy imports only after parsing

    print(merge_adapter(args.adapter_dir, args.output_dir))


if __name__ == "__main__":
    main()
