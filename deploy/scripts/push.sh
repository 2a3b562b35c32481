#!/usr/bin/env bash
# Push a built image to Amazon ECR and print its URI pinned by digest, for deploy.sh.
#
# Usage: deploy/scripts/push.sh LOCAL_IMAGE            (e.g. pizza-game-lambda:3f2c1ab)
# Environment: AWS_REGION (required), ECR_REPOSITORY (default pizza-game-lambda), the usual AWS
# credentials. Creates the repository on first use with immutable tags, scan on push, AES256
# encryption and the Project tag, and sets its lifecycle policy (deploy/ecr-lifecycle-policy.json:
# untagged images go after a day, the 10 newest images stay) on every push. Needs the AWS CLI v2
# and Docker.
set -euo pipefail

local_image="${1:?usage: push.sh LOCAL_IMAGE (as printed by build.sh)}"
region="${AWS_REGION:?set AWS_REGION}"
repository="${ECR_REPOSITORY:-pizza-game-lambda}"
tag="${local_image##*:}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

account="$(aws sts get-caller-identity --query Account --output text)"
registry="$account.dkr.ecr.$region.amazonaws.com"

if ! aws ecr describe-repositories --region "$region" --repository-names "$repository" \
  >/dev/null 2>&1; then
  aws ecr create-repository --region "$region" --repository-name "$repository" \
    --image-tag-mutability IMMUTABLE \
    --image-scanning-configuration scanOnPush=true \
    --encryption-configuration encryptionType=AES256 \
    --tags Key=Project,Value=pizza-game >/dev/null
fi
aws ecr put-lifecycle-policy --region "$region" --repository-name "$repository" \
  --lifecycle-policy-text "file://$repo/deploy/ecr-lifecycle-policy.json" >/dev/null

aws ecr get-login-password --region "$region" \
  | docker login --username AWS --password-stdin "$registry" >&2
docker tag "$local_image" "$registry/$repository:$tag"
docker push "$registry/$repository:$tag" >&2

digest="$(aws ecr describe-images --region "$region" --repository-name "$repository" \
  --image-ids imageTag="$tag" --query 'imageDetails[0].imageDigest' --output text)"
echo "$registry/$repository@$digest"
