#!/usr/bin/env bash
# Create or update the pizza_game stack (deploy/template.yaml) with the AWS SAM CLI, or with the
# AWS CLI alone (`aws cloudformation deploy`, which applies the SAM transform server-side).
#
# Usage: deploy/scripts/deploy.sh IMAGE_URI [Key=Value ...]
#   IMAGE_URI  as printed by push.sh (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY@sha256:...)
#   Key=Value  more template parameters, e.g. FootballApiKeyParameter=/pizza-game/football-api-key
# Environment: AWS_REGION (required), STACK_NAME (default pizza-game), DEPLOY_TOOL (sam or aws;
# default sam when it is on PATH, else aws), STACK_TAGS (more Key=Value stack tags, space-separated;
# CloudFormation copies stack tags onto every resource that takes tags), TEMPLATE_BUCKET (an S3
# bucket to upload the template to: it is larger than CloudFormation's 51,200-byte inline limit;
# required with aws, optional with sam, which then uses its managed bucket, --resolve-s3), the usual
# AWS credentials.
set -euo pipefail

usage="usage: deploy.sh IMAGE_URI [Key=Value ...]"
image_uri="${1:?$usage}"
shift
region="${AWS_REGION:?set AWS_REGION}"
stack="${STACK_NAME:-pizza-game}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
template="$repo/deploy/template.yaml"

# The template's ImageUri pattern: an ECR repository with a tag or a digest.
ecr='^[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/[a-z0-9._/-]+(:[A-Za-z0-9_.-]+|@sha256:[0-9a-f]{64})$'
if ! [[ "$image_uri" =~ $ecr ]]; then
  echo "deploy.sh: IMAGE_URI must be an ECR image with a tag or digest (as push.sh prints), got: $image_uri" >&2
  exit 2
fi
repository="${image_uri%@*}"
repository="${repository%:*}"

tool="${DEPLOY_TOOL:-}"
if [ -z "$tool" ]; then
  if command -v sam >/dev/null; then tool=sam; else tool=aws; fi
fi

read -r -a extra_tags <<<"${STACK_TAGS:-}"
tags=("Project=pizza-game" "Stack=$stack" "${extra_tags[@]}")
parameters=("ImageUri=$image_uri" "$@")
# CAPABILITY_IAM: the stack creates the functions' role. CAPABILITY_AUTO_EXPAND: the SAM transform.
common=(
  --template-file "$template"
  --stack-name "$stack"
  --region "$region"
  --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND
  --no-fail-on-empty-changeset
  --parameter-overrides "${parameters[@]}"
  --tags "${tags[@]}"
)

bucket="${TEMPLATE_BUCKET:-}"
case "$tool" in
  # SAM refuses image functions without an image repository, even with ImageUri given; the image
  # is already pushed, so this only names its repository.
  sam)
    if [ -n "$bucket" ]; then upload=(--s3-bucket "$bucket" --s3-prefix "$stack"); else upload=(--resolve-s3); fi
    sam deploy "${common[@]}" --image-repository "$repository" "${upload[@]}"
    ;;
  aws)
    if [ -z "$bucket" ]; then
      echo "deploy.sh: set TEMPLATE_BUCKET to an S3 bucket for the template (over CloudFormation's 51,200-byte inline limit), or install the SAM CLI" >&2
      exit 2
    fi
    aws cloudformation deploy "${common[@]}" --s3-bucket "$bucket" --s3-prefix "$stack"
    ;;
  *)
    echo "deploy.sh: DEPLOY_TOOL must be sam or aws, got: $tool" >&2
    exit 2
    ;;
esac

aws cloudformation describe-stacks --region "$region" --stack-name "$stack" \
  --query 'Stacks[0].Outputs' --output table
