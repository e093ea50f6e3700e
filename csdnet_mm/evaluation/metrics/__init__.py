from .retrieval import LeaveOneOutRetrieval, leave_one_out_retrieval

__all__ = ['LeaveOneOutRetrieval', 'leave_one_out_retrieval']
