package awslookup

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
)

// Domain is a SageMaker Studio domain the deployment can join.
type Domain struct {
	ID     string
	Name   string
	Status string
}

// DomainLister is the SageMaker call that lists Studio domains.
type DomainLister interface {
	ListDomains(ctx context.Context, in *sagemaker.ListDomainsInput, opts ...func(*sagemaker.Options)) (*sagemaker.ListDomainsOutput, error)
}

// Domains lists every Studio domain in the account and region, all pages.
func Domains(ctx context.Context, c DomainLister) ([]Domain, error) {
	var out []Domain
	p := sagemaker.NewListDomainsPaginator(c, &sagemaker.ListDomainsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, d := range page.Domains {
			out = append(out, Domain{ID: aws.ToString(d.DomainId), Name: aws.ToString(d.DomainName), Status: string(d.Status)})
		}
	}
	return out, nil
}
